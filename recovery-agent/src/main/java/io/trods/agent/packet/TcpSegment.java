package io.trods.agent.packet;

/**
 * A reusable view of one IPv4 TCP segment inside a byte array, as the kernel hands it over (from the
 * IP header on). All reads are at absolute offsets into the caller's buffer: nothing is copied and
 * nothing is allocated per packet. Rewrites keep the TCP checksum right, also for segments whose
 * checksum the kernel has not computed yet (locally generated, CHECKSUM_PARTIAL).
 *
 * <p>Anything this view cannot account for (IP fragments, IP options pointing past the packet, a TCP
 * header longer than the segment) makes {@link #wrap} return false: such a packet goes back to the
 * kernel untouched.
 */
public final class TcpSegment {

    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;

    private static final int PROTO_TCP = 6;

    private byte[] buf;
    private int ipOffset;
    private int ipLength;
    private int tcpOffset;
    private int tcpHeaderLength;

    /**
     * Points this view at a packet.
     *
     * @return false if the bytes are not one whole, unfragmented IPv4 TCP segment
     */
    public boolean wrap(byte[] buffer, int offset, int length) {
        this.buf = null;
        if (length < 40 || offset < 0 || offset + length > buffer.length) {
            return false;
        }
        int versionIhl = buffer[offset] & 0xFF;
        int ihl = (versionIhl & 0x0F) * 4;
        int total = Bytes.u16(buffer, offset + 2);
        if (versionIhl >>> 4 != 4 || ihl < 20 || total > length || total < ihl + 20) {
            return false;
        }
        if ((buffer[offset + 9] & 0xFF) != PROTO_TCP) {
            return false;
        }
        int fragment = Bytes.u16(buffer, offset + 6);
        if ((fragment & 0x3FFF) != 0) { // MF flag or a fragment offset
            return false;
        }
        int tcp = offset + ihl;
        int dataOffset = ((buffer[tcp + 12] & 0xFF) >>> 4) * 4;
        if (dataOffset < 20 || ihl + dataOffset > total) {
            return false;
        }
        this.buf = buffer;
        this.ipOffset = offset;
        this.ipLength = total;
        this.tcpOffset = tcp;
        this.tcpHeaderLength = dataOffset;
        return true;
    }

    public byte[] buffer() {
        return buf;
    }

    public int ipOffset() {
        return ipOffset;
    }

    /** IP total length: header, TCP header and payload. */
    public int length() {
        return ipLength;
    }

    public int tcpOffset() {
        return tcpOffset;
    }

    public int tcpHeaderLength() {
        return tcpHeaderLength;
    }

    public int srcAddress() {
        return Bytes.i32(buf, ipOffset + 12);
    }

    public int dstAddress() {
        return Bytes.i32(buf, ipOffset + 16);
    }

    public int srcPort() {
        return Bytes.u16(buf, tcpOffset);
    }

    public int dstPort() {
        return Bytes.u16(buf, tcpOffset + 2);
    }

    public int seq() {
        return Bytes.i32(buf, tcpOffset + 4);
    }

    public int ack() {
        return Bytes.i32(buf, tcpOffset + 8);
    }

    public int flags() {
        return buf[tcpOffset + 13] & 0x3F;
    }

    public boolean has(int flag) {
        return (flags() & flag) != 0;
    }

    /** The raw window field, before any window scaling. */
    public int window() {
        return Bytes.u16(buf, tcpOffset + 14);
    }

    public int payloadOffset() {
        return tcpOffset + tcpHeaderLength;
    }

    public int payloadLength() {
        return ipOffset + ipLength - payloadOffset();
    }

    /** The sequence number after this segment: SYN and FIN count as one each. */
    public int seqEnd() {
        return seq() + payloadLength() + (has(SYN) ? 1 : 0) + (has(FIN) ? 1 : 0);
    }

    public int checksum() {
        return Bytes.u16(buf, tcpOffset + 16);
    }

    /**
     * Rewrites the acknowledgement number.
     *
     * @param checksumPartial true when the kernel has not computed the TCP checksum yet (it will sum
     *     the header as it then is, so the field must not be adjusted)
     */
    public void setAck(int ack, boolean checksumPartial) {
        rewrite32(tcpOffset + 8, ack, checksumPartial);
    }

    public void setWindow(int window, boolean checksumPartial) {
        rewrite16(tcpOffset + 14, window & 0xFFFF, checksumPartial);
    }

    /** Rewrites the TSval of a timestamp option found by {@link TcpOptions#parse} at {@code tsValOffset}. */
    public void setTsVal(int tsValOffset, int tsVal, boolean checksumPartial) {
        rewrite32(tsValOffset, tsVal, checksumPartial);
    }

    /**
     * Overwrites {@code length} bytes of the TCP header with NOP options (kind 1), e.g. to remove a
     * SACK option whose blocks must not reach the peer, keeping the checksum right.
     */
    public void nopOut(int at, int length, boolean checksumPartial) {
        int first = at - ((at - tcpOffset) & 1);
        int end = at + length + ((at + length - tcpOffset) & 1);
        long before = sumWords(first, end);
        java.util.Arrays.fill(buf, at, at + length, (byte) TcpOptions.KIND_NOP);
        if (checksumPartial) {
            return;
        }
        long after = sumWords(first, end);
        long sum = (~checksum() & 0xFFFF) + (~fold(before) & 0xFFFF) + fold(after);
        Bytes.put16(buf, tcpOffset + 16, ~fold(sum) & 0xFFFF);
    }

    private long sumWords(int from, int to) {
        long sum = 0;
        for (int i = from; i < to; i += 2) {
            sum += Bytes.u16(buf, i);
        }
        return sum;
    }

    private static int fold(long sum) {
        while (sum >>> 16 != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) sum;
    }

    private void rewrite32(int at, int value, boolean checksumPartial) {
        rewrite16(at, value >>> 16, checksumPartial);
        rewrite16(at + 2, value & 0xFFFF, checksumPartial);
    }

    /** RFC 1624 incremental update: HC' = ~(~HC + ~m + m'). */
    private void rewrite16(int at, int value, boolean checksumPartial) {
        int old = Bytes.u16(buf, at);
        Bytes.put16(buf, at, value);
        if (checksumPartial || old == value) {
            return;
        }
        int sum = ~checksum() & 0xFFFF;
        sum += ~old & 0xFFFF;
        sum += value;
        sum = (sum & 0xFFFF) + (sum >>> 16);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        Bytes.put16(buf, tcpOffset + 16, ~sum & 0xFFFF);
    }

    /**
     * Writes the full checksum. Needed after rewriting a segment whose checksum the kernel had left
     * to the device: a packet handed back from a queue is taken as complete (nfqnl_mangle sets
     * CHECKSUM_NONE), except a GSO packet, whose segmentation recomputes it.
     */
    public void finishChecksum() {
        Bytes.put16(buf, tcpOffset + 16, computeChecksum());
    }

    /** The TCP checksum this segment should carry, computed in full (tests, and verifying input). */
    public int computeChecksum() {
        int tcpLength = ipLength - (tcpOffset - ipOffset);
        long sum = 0;
        sum += Bytes.u16(buf, ipOffset + 12) + Bytes.u16(buf, ipOffset + 14);
        sum += Bytes.u16(buf, ipOffset + 16) + Bytes.u16(buf, ipOffset + 18);
        sum += PROTO_TCP + tcpLength;
        int end = tcpOffset + tcpLength;
        for (int i = tcpOffset; i < end; i += 2) {
            if (i == tcpOffset + 16) {
                continue; // the checksum field itself counts as zero
            }
            sum += i + 1 < end ? Bytes.u16(buf, i) : (buf[i] & 0xFF) << 8;
        }
        while (sum >>> 16 != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return (int) ~sum & 0xFFFF;
    }

    /** Formats an IPv4 address held in an int, for logs and keys (allocates: not for the packet path). */
    public static String address(int address) {
        return (address >>> 24) + "." + (address >>> 16 & 0xFF) + "." + (address >>> 8 & 0xFF) + "." + (address & 0xFF);
    }
}
