package io.trods.monitor.decision;

import io.trods.monitor.probe.ServerEndpoint;

/**
 * A server of a virtual service and where it is probed. {@code port} 0: not known (a remembered
 * failed server whose registration this instance never saw), so it cannot be probed.
 */
public record Member(String serverId, String address, int port, int configuredWeight, MemberSource source) {

    public ServerEndpoint endpoint() {
        return port > 0 ? new ServerEndpoint(address, port) : null;
    }
}
