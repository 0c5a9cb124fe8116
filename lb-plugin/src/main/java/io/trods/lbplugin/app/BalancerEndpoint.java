package io.trods.lbplugin.app;

import io.trods.lbplugin.reconcile.ReconcileLoop;
import io.trods.lbplugin.source.DesiredStateSource;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * {@code GET /actuator/balancer}: applied and desired tables, pending operations, last sync, kernel
 * settings and source state. {@code POST /actuator/balancer} (admin only) forces a full resync:
 * the kernel's table is read back and repaired.
 */
@Endpoint(id = "balancer")
public class BalancerEndpoint {

    private final String directorId;
    private final ReconcileLoop loop;
    private final DesiredStateSource source;

    public BalancerEndpoint(String directorId, ReconcileLoop loop, DesiredStateSource source) {
        this.directorId = directorId;
        this.loop = loop;
        this.source = source;
    }

    @ReadOperation
    public BalancerReport balancer() {
        return BalancerReport.of(directorId, loop.reconciler().status(), source.status());
    }

    @WriteOperation
    public Map<String, Object> resync() {
        loop.requestFullResync();
        return Map.of("resync", "requested", "desiredVersion", loop.reconciler().status().desiredVersion());
    }
}
