package io.trods.monitor.decision;

import io.trods.monitor.probe.ProbeSpec;
import io.trods.monitor.probe.ProbeTarget;
import java.util.List;

/** A configured virtual service, its statically configured servers, and how its servers are probed. */
public record ServiceSpec(String name, String address, int port, String scheduler, String forwarding,
        List<Member> configuredServers, ProbeSpec probe) {

    public ServiceSpec {
        configuredServers = List.copyOf(configuredServers);
    }

    public String endpoint() {
        return address + ":" + port;
    }

    /** How a member of this service is probed, or null when its port is not known (not probed). */
    public ProbeTarget target(Member member) {
        return member.endpoint() == null ? null : new ProbeTarget(member.endpoint(), probe);
    }
}
