package io.trods.monitor.decision;

import java.util.List;

/** A configured virtual service and its statically configured servers. */
public record ServiceSpec(String name, String address, int port, String scheduler, String forwarding,
        List<Member> configuredServers) {

    public ServiceSpec {
        configuredServers = List.copyOf(configuredServers);
    }

    public String endpoint() {
        return address + ":" + port;
    }
}
