package io.trods.agent.app;

import java.util.Map;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * {@code POST /actuator/prompt/{server}}: the failed server's clients are prompted now. Called by
 * whoever takes a failed server out of the balancer (the lab's {@code pool remove} today, the
 * liveness monitor's published decision later). Management endpoints listen on localhost only.
 */
@Endpoint(id = "prompt")
public class PromptEndpoint {

    private final AgentRuntime runtime;

    public PromptEndpoint(AgentRuntime runtime) {
        this.runtime = runtime;
    }

    @WriteOperation
    public Map<String, Object> prompt(@Selector String server) {
        long start = System.nanoTime();
        int prompted = runtime.promptClientsOf(server);
        return Map.of("failedServer", server, "prompted", prompted, "millis", (System.nanoTime() - start) / 1_000_000);
    }
}
