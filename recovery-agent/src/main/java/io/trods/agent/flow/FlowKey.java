package io.trods.agent.flow;

import io.trods.agent.packet.TcpSegment;

/**
 * A client's connection to a virtual service, as every server sees it: the client's address and
 * port and the service port. The server's own address is not part of it, because in NAT mode each
 * server sees its own address there, and recovery happens on another server.
 */
public record FlowKey(int clientAddress, int clientPort, int servicePort) {

    public FlowKey {
        if (clientPort < 0 || clientPort > 0xFFFF || servicePort < 0 || servicePort > 0xFFFF) {
            throw new IllegalArgumentException("ports must be 0..65535");
        }
    }

    /** The flow of a segment sent by the client. */
    public static FlowKey ofClientSegment(TcpSegment segment) {
        return new FlowKey(segment.srcAddress(), segment.srcPort(), segment.dstPort());
    }

    /** The flow of a segment sent by the server. */
    public static FlowKey ofServerSegment(TcpSegment segment) {
        return new FlowKey(segment.dstAddress(), segment.dstPort(), segment.srcPort());
    }

    /** One long, for maps on the packet path: no allocation to look a flow up. */
    public static long packed(int clientAddress, int clientPort, int servicePort) {
        return (clientAddress & 0xFFFF_FFFFL) << 32 | (long) clientPort << 16 | servicePort;
    }

    public long packed() {
        return packed(clientAddress, clientPort, servicePort);
    }

    /** The Redis key of the flow's record; readable for operators ("redis-cli keys 'trods:flow:*'"). */
    public String storageKey() {
        return "trods:flow:" + TcpSegment.address(clientAddress) + ":" + clientPort + ":" + servicePort;
    }

    @Override
    public String toString() {
        return TcpSegment.address(clientAddress) + ":" + clientPort + "->:" + servicePort;
    }
}
