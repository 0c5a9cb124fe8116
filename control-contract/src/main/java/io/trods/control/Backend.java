package io.trods.control;

/**
 * A real server in a virtual service's table. Weight 0 is a drained server: the balancer sends it no
 * new connections but keeps its existing ones there (IPVS semantics).
 */
public record Backend(String serverId, String address, int port, int weight) {

    public static final int MAX_WEIGHT = 65535;

    public Backend {
        ZkLayout.checkId(serverId);
        Validation.ipv4(address, "backend address");
        Validation.port(port, "backend port");
        if (weight < 0 || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException("weight must be 0.." + MAX_WEIGHT + ", got " + weight);
        }
    }

    public boolean drained() {
        return weight == 0;
    }

    /** The address:port the balancer forwards to. */
    public String endpoint() {
        return address + ":" + port;
    }
}
