package io.trods.monitor.core;

import io.trods.monitor.config.MonitorProperties;
import io.trods.monitor.decision.Member;
import io.trods.monitor.decision.MemberSource;
import io.trods.monitor.decision.ServiceSpec;
import java.util.List;

/** Configured services, as the decider sees them. */
final class ServiceSpecs {

    private ServiceSpecs() {}

    /** Each service with its probe: the monitor's settings with the service's own on top. */
    static List<ServiceSpec> of(List<MonitorProperties.Service> services, MonitorProperties.Probe probe) {
        return services.stream().map(s -> new ServiceSpec(s.name(), s.address(), s.port(), s.scheduler(), s.forwarding(),
                s.servers().stream().map(v -> new Member(v.id(), v.address(), v.port(), v.weight(), MemberSource.CONFIGURED))
                        .toList(), probe.with(s.probe()).spec()))
                .toList();
    }
}
