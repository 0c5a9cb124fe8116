package io.trods.monitor.probe;

/**
 * How a service's servers are probed and dampened. Services with equal specs share one probe loop
 * and one health record per server; a service with its own settings gets its own.
 *
 * @param type {@code http}, {@code tcp} or {@code agent} (an HTTP GET of the agent's health)
 * @param port where to probe; 0: the server's own port
 * @param timeoutMillis the bound on the TCP handshake (a crash-stopped server fails here)
 * @param answerTimeoutMillis the bound on an HTTP answer once the request is out
 */
public record ProbeSpec(String type, String path, int expectStatus, int port, long intervalMillis, int timeoutMillis,
        int answerTimeoutMillis, int fall, int rise) {

    public Probe newProbe() {
        return "tcp".equals(type) ? new TcpProbe(timeoutMillis)
                : new HttpProbe(path, expectStatus, timeoutMillis, answerTimeoutMillis);
    }

    /** The address and port a server is probed at under this spec. */
    public ServerEndpoint probed(ServerEndpoint server) {
        return port == 0 ? server : new ServerEndpoint(server.address(), port);
    }
}
