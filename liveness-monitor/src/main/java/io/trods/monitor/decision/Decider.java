package io.trods.monitor.decision;

import io.trods.control.Backend;
import io.trods.control.FailedServer;
import io.trods.control.ServerOverride;
import io.trods.control.VirtualService;
import io.trods.monitor.decision.Decision.Action;
import io.trods.monitor.health.HealthState;
import io.trods.monitor.health.HealthView;
import io.trods.monitor.probe.ProbeResult;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Computes every service's table from members, health, overrides and the previous document. Pure:
 * the same input always gives the same output, so an unchanged world never makes a new version.
 *
 * <ul>
 * <li>UP: a backend, with the override's weight or the configured one (drained: weight 0);
 * <li>DOWN or HELD_DOWN: not a backend, listed in {@code failed} (reason and time of the first
 *     decision are kept, so that re-evaluating does not rewrite the entry);
 * <li>UNKNOWN: whatever the previous document said (a new leader must not flap the table while its
 *     probes warm up); a member the previous document did not list stays unlisted;
 * <li>panic: when fewer than {@code panicThreshold} of the probed members look alive (UP or UNKNOWN),
 *     a down member that the previous document had as a backend stays one;
 * <li>a REMEMBERED member (neither configured nor registered) that has been failed for longer than
 *     the retention time is no longer listed.
 * </ul>
 */
public final class Decider {

    private Decider() {}

    public static Outcome decide(DeciderInput in) {
        List<VirtualService> services = new ArrayList<>();
        List<Decision> decisions = new ArrayList<>();
        int warmingUp = 0;
        for (ServiceSpec spec : in.services()) {
            VirtualService last = Membership.previousService(spec, in.previous());
            List<Member> members = in.members().getOrDefault(spec.name(), List.of());
            String panic = panicReason(spec, members, in);
            List<Backend> backends = new ArrayList<>();
            List<FailedServer> failed = new ArrayList<>();
            for (Member m : members) {
                HealthView health = m.endpoint() == null ? HealthView.UNKNOWN : in.health().apply(spec.target(m));
                Optional<Backend> before = last == null ? Optional.empty() : last.backend(m.serverId());
                Optional<FailedServer> failedBefore = last == null ? Optional.empty()
                        : last.failed().stream().filter(f -> f.serverId().equals(m.serverId())).findFirst();
                int weight = weight(m, in.overrides().get(m.serverId()));
                String service = spec.name();
                if (health.state() == HealthState.UP
                        || (health.state() == HealthState.UNKNOWN && before.isPresent())
                        || (health.state().down() && panic != null && before.isPresent())) {
                    Backend backend = new Backend(m.serverId(), m.address(), m.port(), weight);
                    backends.add(backend);
                    if (health.state().down()) {
                        decisions.add(new Decision(service, m.serverId(), Action.PANIC_HOLD,
                                panic + "; kept although " + health.reason()));
                    }
                    changeOf(service, before, failedBefore, backend, health).ifPresent(decisions::add);
                } else if (health.state().down() || failedBefore.isPresent()) {
                    if (m.source() == MemberSource.REMEMBERED && failedBefore.isPresent()
                            && in.nowMillis() - failedBefore.get().sinceMillis() >= in.failedRetentionMillis()) {
                        decisions.add(new Decision(service, m.serverId(), Action.FORGET,
                                "neither configured nor registered, failed for more than "
                                        + in.failedRetentionMillis() / 1000 + " s"));
                        continue;
                    }
                    failed.add(failedBefore.orElseGet(
                            () -> new FailedServer(m.serverId(), m.address(), health.reason(), in.nowMillis())));
                    if (failedBefore.isEmpty()) {
                        decisions.add(new Decision(service, m.serverId(), Action.REMOVE, health.reason()));
                    }
                } else {
                    warmingUp++; // UNKNOWN and not in the previous document: wait for a verdict
                }
            }
            backends.sort(Comparator.comparing(Backend::serverId));
            failed.sort(Comparator.comparing(FailedServer::serverId));
            services.add(new VirtualService(spec.name(), spec.address(), spec.port(), "tcp", spec.scheduler(),
                    spec.forwarding(), backends, failed));
        }
        return new Outcome(services, decisions, warmingUp);
    }

    /**
     * UP or UNKNOWN, and its latest probe (if any) succeeded. A server whose probes have just begun
     * to fail counts as not alive although it is not DOWN yet: when the monitor's own link is cut,
     * every server fails at once, but each reaches DOWN on its own loop's schedule, and the first
     * one down must already see the others failing, or it would be removed before the panic.
     */
    static boolean looksAlive(HealthView health) {
        List<ProbeResult> recent = health.recent();
        return !health.state().down() && (recent.isEmpty() || recent.get(recent.size() - 1).success());
    }

    /** Non-null (the reason) when too few of the service's probed members look alive. */
    private static String panicReason(ServiceSpec spec, List<Member> members, DeciderInput in) {
        long probed = members.stream().filter(m -> m.endpoint() != null).count();
        long alive = members.stream().filter(m -> m.endpoint() != null)
                .filter(m -> looksAlive(in.health().apply(spec.target(m)))).count();
        if (probed == 0 || alive >= in.panicThreshold() * probed) {
            return null;
        }
        return "panic: only " + alive + " of " + probed + " members alive (threshold "
                + Math.round(in.panicThreshold() * 100) + "%)";
    }

    private static int weight(Member m, ServerOverride override) {
        if (override == null) {
            return m.configuredWeight();
        }
        if (override.drained()) {
            return 0;
        }
        return override.weight() != null ? override.weight() : m.configuredWeight();
    }

    private static Optional<Decision> changeOf(String service, Optional<Backend> before,
            Optional<FailedServer> failedBefore, Backend now, HealthView health) {
        String id = now.serverId();
        if (before.isEmpty()) {
            return Optional.of(failedBefore.isPresent()
                    ? new Decision(service, id, Action.RECOVER, "back up: " + health.reason())
                    : new Decision(service, id, Action.ADD, "up: " + health.reason()));
        }
        int was = before.get().weight();
        if (was == now.weight()) {
            return Optional.empty();
        }
        if (now.weight() == 0) {
            return Optional.of(new Decision(service, id, Action.DRAIN, "drained by an operator"));
        }
        if (was == 0) {
            return Optional.of(new Decision(service, id, Action.UNDRAIN, "undrained, weight " + now.weight()));
        }
        return Optional.of(new Decision(service, id, Action.WEIGHT, "weight " + was + " -> " + now.weight()));
    }
}
