package io.trods.monitor.app;

import io.trods.control.Backend;
import io.trods.control.DesiredState;
import io.trods.control.ServerOverride;
import io.trods.control.VirtualService;
import io.trods.monitor.app.PoolReport.ProbeReport;
import io.trods.monitor.app.PoolReport.ServerReport;
import io.trods.monitor.app.PoolReport.ServiceReport;
import io.trods.monitor.core.MonitorCore;
import io.trods.monitor.decision.Member;
import io.trods.monitor.decision.ServiceSpec;
import io.trods.monitor.health.HealthView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Builds the pool report from one instance's state: its health verdicts and the published document. */
final class PoolReports {

    private PoolReports() {}

    static PoolReport of(MonitorCore core) {
        DesiredState published = core.published();
        Map<String, ServerOverride> overrides = core.view().overrides();
        List<ServiceReport> services = new ArrayList<>();
        for (ServiceSpec spec : core.services()) {
            VirtualService vs = published == null ? null : published.services().stream()
                    .filter(s -> s.name().equals(spec.name())).findFirst().orElse(null);
            List<ServerReport> servers = new ArrayList<>();
            for (Member m : core.members().getOrDefault(spec.name(), List.of())) {
                HealthView h = m.endpoint() == null ? HealthView.UNKNOWN : core.health().view(spec.target(m));
                Optional<Backend> backend = vs == null ? Optional.empty() : vs.backend(m.serverId());
                ServerOverride o = overrides.get(m.serverId());
                List<ProbeReport> probes = h.recent().stream().map(r -> new ProbeReport(r.outcome().name(),
                        r.latencyMicros() / 1000.0, r.detail(), r.atMillis())).toList();
                servers.add(new ServerReport(m.serverId(), m.address(), m.port(), m.source().name(),
                        m.endpoint() == null ? "" : spec.target(m).toString(), h.state().name(),
                        h.sinceMillis(), h.reason(), probes, backend.map(Backend::weight).orElse(-1),
                        o != null && o.drained(), backend.isPresent(), vs != null && vs.hasFailed(m.serverId())));
            }
            services.add(new ServiceReport(spec.name(), spec.endpoint(), spec.scheduler(), spec.forwarding(), servers));
        }
        return new PoolReport(core.id(), core.leaderId(), core.isLeader(), core.connectionState(),
                published == null ? 0 : published.version(), published == null ? "" : published.publishedBy(),
                published == null ? 0 : published.publishedAtMillis(), services, core.view().directors());
    }
}
