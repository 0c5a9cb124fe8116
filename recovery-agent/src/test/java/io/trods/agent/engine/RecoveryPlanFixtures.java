package io.trods.agent.engine;

import io.trods.agent.flow.FlowKey;
import io.trods.agent.flow.FlowRecord;
import java.nio.charset.StandardCharsets;

/** A valid recovery plan for tests outside this package. */
public final class RecoveryPlanFixtures {

    private RecoveryPlanFixtures() {
    }

    public static RecoveryPlan plan(FlowKey key) {
        FlowRecord record = new FlowRecord(key, "server1", 1460, 7, 7, true, true, 1000,
                "GET /o HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), 5000,
                "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nETag: \"e\"\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), 0);
        return new RecoveryPlan(record, record.objectIsn(), record.requestEnd(), new byte[0], 0, 9, 10, "\"e\"", "/o",
                null, 0, 0, 100);
    }
}
