package io.trods.agent.packet;

/**
 * Writes a complete IPv4 TCP segment without payload (an ACK the agent sends on a server's behalf)
 * into a caller's buffer, checksums included. For the few segments the agent originates itself:
 * the release of a withheld byte and the prompts to a failed server's clients.
 */
public final class SegmentBuilder {

    private SegmentBuilder() {
    }

    /**
     * @param timestamps whether to carry a timestamp option (NOP, NOP, TS)
     * @return the segment's length
     */
    public static int ack(byte[] out, int src, int srcPort, int dst, int dstPort, int seq, int ack, int window,
            boolean timestamps, int tsVal, int tsEcr) {
        int tcpLength = timestamps ? 32 : 20;
        int length = 20 + tcpLength;
        java.util.Arrays.fill(out, 0, length, (byte) 0);
        out[0] = 0x45;
        Bytes.put16(out, 2, length);
        Bytes.put16(out, 6, 0x4000); // don't fragment
        out[8] = 64;
        out[9] = 6;
        Bytes.put32(out, 12, src);
        Bytes.put32(out, 16, dst);
        Bytes.put16(out, 10, ipChecksum(out));
        Bytes.put16(out, 20, srcPort);
        Bytes.put16(out, 22, dstPort);
        Bytes.put32(out, 24, seq);
        Bytes.put32(out, 28, ack);
        out[32] = (byte) (tcpLength / 4 << 4);
        out[33] = TcpSegment.ACK;
        Bytes.put16(out, 34, window);
        if (timestamps) {
            out[40] = TcpOptions.KIND_NOP;
            out[41] = TcpOptions.KIND_NOP;
            out[42] = TcpOptions.KIND_TIMESTAMP;
            out[43] = 10;
            Bytes.put32(out, 44, tsVal);
            Bytes.put32(out, 48, tsEcr);
        }
        TcpSegment segment = new TcpSegment();
        segment.wrap(out, 0, length);
        segment.finishChecksum();
        return length;
    }

    static int ipChecksum(byte[] p) {
        long sum = 0;
        for (int i = 0; i < 20; i += 2) {
            if (i != 10) {
                sum += Bytes.u16(p, i);
            }
        }
        while (sum >>> 16 != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) ~sum & 0xFFFF;
    }
}
