package io.trods.control;

import java.util.List;

/**
 * What a recovery agent announces while it runs (an ephemeral znode): its server, the web server's
 * address and port, and the virtual services ("VIP:port") it serves. Presence is a hint that the
 * server exists, not proof that it is alive: the monitor's probes decide that.
 */
public record AgentRegistration(String serverId, String address, int port, List<String> services,
        long sinceMillis) {

    public AgentRegistration {
        ZkLayout.checkId(serverId);
        Validation.ipv4(address, "agent address");
        Validation.port(port, "agent port");
        services = List.copyOf(services == null ? List.of() : services);
        for (String s : services) {
            Validation.endpoint(s, "agent service");
        }
    }
}
