package io.trods.monitor.decision;

import io.trods.control.DesiredState;
import io.trods.control.ServerOverride;
import io.trods.monitor.health.HealthView;
import io.trods.monitor.probe.ProbeTarget;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Everything one decision depends on.
 *
 * @param members each service's members, by service name (see {@link Membership})
 * @param previous the document currently published, or null when there is none
 */
public record DeciderInput(List<ServiceSpec> services, Map<String, List<Member>> members,
        Function<ProbeTarget, HealthView> health, Map<String, ServerOverride> overrides, DesiredState previous,
        double panicThreshold, long failedRetentionMillis, long nowMillis) {

    public DeciderInput {
        services = List.copyOf(services);
        members = Map.copyOf(members);
        overrides = Map.copyOf(overrides);
    }
}
