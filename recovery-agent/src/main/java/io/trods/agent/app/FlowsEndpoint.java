package io.trods.agent.app;

import io.trods.agent.datapath.PacketLoop;
import io.trods.agent.recovery.ActiveRecovery;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;

/**
 * {@code GET /actuator/flows?page=0&size=100}: the connections this agent tracks (a page of at most
 * {@value #MAX_SIZE}: a busy server tracks tens of thousands) and the recoveries streaming now.
 */
@Endpoint(id = "flows")
public class FlowsEndpoint {

    static final int MAX_SIZE = 500;
    private static final int DEFAULT_SIZE = 100;

    private final AgentRuntime runtime;

    public FlowsEndpoint(AgentRuntime runtime) {
        this.runtime = runtime;
    }

    @ReadOperation
    public Map<String, Object> flows(@Nullable Integer page, @Nullable Integer size) {
        int pageSize = size == null ? DEFAULT_SIZE : size;
        int pageNumber = page == null ? 0 : page;
        if (pageSize < 1 || pageSize > MAX_SIZE || pageNumber < 0) {
            String reason = "size must be 1.." + MAX_SIZE + " and page >= 0";
            throw new InvalidEndpointRequestException(reason, reason); // 400, not 500
        }
        long offset = (long) pageNumber * pageSize;
        PacketLoop.FlowPage tracked = offset > Integer.MAX_VALUE ? new PacketLoop.FlowPage(runtime.trackedFlows(), List.of())
                : runtime.trackedFlows((int) offset, pageSize);
        List<ActiveRecovery> recovering = runtime.activeRecoveries();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("tracked", tracked.total());
        body.put("page", pageNumber);
        body.put("size", pageSize);
        body.put("flows", tracked.flows());
        body.put("recovering", recovering.stream().limit(MAX_SIZE).map(r -> Map.of(
                "client", r.key().toString(), "from", r.from(), "phase", r.phase(), "sinceMillis", r.sinceMillis())).toList());
        body.put("recoveringTotal", recovering.size());
        return body;
    }
}
