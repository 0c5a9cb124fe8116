package io.trods.agent.pcap;

/**
 * One packet of a capture, from its IPv4 header on (the link-layer header removed).
 *
 * @param timestampMicros when it was captured, microseconds since the epoch
 * @param ip the captured bytes from the IPv4 header on (may hold link-layer padding at the end)
 * @param wireLength the packet's length on the wire from the IPv4 header on; more than
 *     {@code ip.length} when the capture's snap length cut it short
 */
public record CapturedPacket(long timestampMicros, byte[] ip, int wireLength) {

    /** Whether the capture holds less than the whole packet. */
    public boolean truncated() {
        return ip.length < wireLength;
    }
}
