package io.trods.monitor.app;

import io.trods.control.Backend;
import io.trods.control.ServerOverride;
import io.trods.control.ZkLayout;
import io.trods.monitor.core.MonitorCore;
import io.trods.monitor.zk.OverrideStore.ZooKeeperUnavailableException;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;

/**
 * {@code GET /actuator/pool}: this instance's view of every service and server.
 * {@code POST /actuator/pool/{serverId}} with {@code {"action":"drain"|"undrain"|"weight","weight":N}}
 * stores an operator's override in ZooKeeper (503 when ZooKeeper is unreachable); the leader applies
 * it on its next evaluation.
 */
@Endpoint(id = "pool")
public class PoolEndpoint {

    private final MonitorCore core;

    public PoolEndpoint(MonitorCore core) {
        this.core = core;
    }

    @ReadOperation
    public PoolReport pool() {
        return PoolReports.of(core);
    }

    @WriteOperation
    public WebEndpointResponse<Map<String, Object>> change(SecurityContext security, @Selector String serverId,
            String action, @Nullable Integer weight) {
        try {
            ZkLayout.checkId(serverId);
        } catch (IllegalArgumentException e) {
            throw new InvalidEndpointRequestException(e.getMessage(), e.getMessage());
        }
        ServerOverride before = core.view().overrides().get(serverId);
        Integer keptWeight = before == null ? null : before.weight();
        boolean keptDrain = before != null && before.drained();
        String by = security.getPrincipal() == null ? "" : security.getPrincipal().getName();
        long now = System.currentTimeMillis();
        ServerOverride after = switch (action) {
            case "drain" -> new ServerOverride(serverId, true, keptWeight, by, now);
            case "undrain" -> new ServerOverride(serverId, false, keptWeight, by, now);
            case "weight" -> {
                if (weight == null || weight < 1 || weight > Backend.MAX_WEIGHT) {
                    throw new InvalidEndpointRequestException("weight must be 1.." + Backend.MAX_WEIGHT + " (use drain for 0)",
                            "bad weight");
                }
                yield new ServerOverride(serverId, keptDrain, weight, by, now);
            }
            default -> throw new InvalidEndpointRequestException(
                    "action must be drain, undrain or weight, got '" + action + "'", "bad action");
        };
        try {
            core.overrides().write(after);
        } catch (ZooKeeperUnavailableException e) {
            return new WebEndpointResponse<>(Map.of("serverId", serverId, "error", e.getMessage()), 503);
        }
        core.requestEvaluation();
        return new WebEndpointResponse<>(Map.of("serverId", serverId, "drained", after.drained(),
                "weight", after.weight() == null ? "configured" : after.weight(), "by", by), 200);
    }
}
