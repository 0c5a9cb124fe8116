package io.trods.monitor.decision;

import io.trods.control.AgentRegistration;
import io.trods.control.Backend;
import io.trods.control.DesiredState;
import io.trods.control.FailedServer;
import io.trods.control.VirtualService;
import io.trods.monitor.probe.ServerEndpoint;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Who belongs to a virtual service, first source wins: the configured servers, then every agent
 * whose registration lists the service's {@code VIP:port}, then whatever the last published document
 * still lists for it (so a vanished registration never removes a server by itself: only its probes
 * can). Pure.
 */
public final class Membership {

    private Membership() {}

    /**
     * @param knownEndpoints where this instance last saw each server registered, to keep probing a
     *     remembered failed server (a failed entry has no port)
     */
    public static List<Member> of(ServiceSpec spec, Collection<AgentRegistration> agents, DesiredState previous,
            Map<String, ServerEndpoint> knownEndpoints) {
        Map<String, Member> members = new LinkedHashMap<>();
        for (Member m : spec.configuredServers()) {
            members.putIfAbsent(m.serverId(), m);
        }
        agents.stream().sorted(Comparator.comparing(AgentRegistration::serverId))
                .filter(a -> a.services().contains(spec.endpoint()))
                .forEach(a -> members.putIfAbsent(a.serverId(),
                        new Member(a.serverId(), a.address(), a.port(), 1, MemberSource.REGISTERED)));
        VirtualService last = previousService(spec, previous);
        if (last != null) {
            for (Backend b : last.backends()) {
                members.putIfAbsent(b.serverId(), new Member(b.serverId(), b.address(), b.port(), 1, MemberSource.REMEMBERED));
            }
            for (FailedServer f : last.failed()) {
                ServerEndpoint known = knownEndpoints.get(f.serverId());
                int port = known != null && known.address().equals(f.address()) ? known.port() : 0;
                members.putIfAbsent(f.serverId(), new Member(f.serverId(), f.address(), port, 1, MemberSource.REMEMBERED));
            }
        }
        return new ArrayList<>(members.values());
    }

    /** The previous document's entry for this service, if it still has the same name and VIP. */
    static VirtualService previousService(ServiceSpec spec, DesiredState previous) {
        if (previous == null) {
            return null;
        }
        return previous.services().stream()
                .filter(s -> s.name().equals(spec.name()) && s.endpoint().equals(spec.endpoint()))
                .findFirst().orElse(null);
    }
}
