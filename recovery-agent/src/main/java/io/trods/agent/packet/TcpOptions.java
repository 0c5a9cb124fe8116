package io.trods.agent.packet;

/**
 * The TCP options that recovery needs, read from one segment into a reusable holder (no allocation
 * per packet). The handshake's options (MSS, window scale, SACK permitted) are only meaningful on
 * SYN and SYN-ACK segments; the timestamps on any segment.
 */
public final class TcpOptions {

    public static final int KIND_END = 0;
    public static final int KIND_NOP = 1;
    public static final int KIND_MSS = 2;
    public static final int KIND_WINDOW_SCALE = 3;
    public static final int KIND_SACK_PERMITTED = 4;
    public static final int KIND_SACK = 5;
    public static final int KIND_TIMESTAMP = 8;

    /** RFC 7323: a shift above 14 is treated as 14. */
    public static final int MAX_WINDOW_SCALE = 14;

    /** -1 when absent. */
    public int mss;
    /** -1 when absent (window scaling not offered). */
    public int windowScale;
    public boolean sackPermitted;
    public boolean hasTimestamp;
    public int tsVal;
    public int tsEcr;
    /** Number of SACK blocks present (0 to 4); their edges are not kept, recovery does not need them. */
    public int sackBlocks;
    /** Offset of the SACK option's kind byte within the packet and its length, -1 and 0 when absent. */
    public int sackOffset;
    public int sackLength;
    /** Offset of the timestamp option's TSval field within the packet, -1 when absent. */
    public int tsValOffset;

    public TcpOptions clear() {
        mss = -1;
        windowScale = -1;
        sackPermitted = false;
        hasTimestamp = false;
        tsVal = 0;
        tsEcr = 0;
        sackBlocks = 0;
        sackOffset = -1;
        sackLength = 0;
        tsValOffset = -1;
        return this;
    }

    /**
     * Parses the options of {@code segment} into this holder.
     *
     * @return false if the option list is malformed (a length that runs past the header, or a known
     *     option with the wrong length): the segment should then be left to the kernel untouched
     */
    public boolean parse(TcpSegment segment) {
        clear();
        byte[] buf = segment.buffer();
        int at = segment.tcpOffset() + 20;
        int end = segment.tcpOffset() + segment.tcpHeaderLength();
        while (at < end) {
            int kind = buf[at] & 0xFF;
            if (kind == KIND_END) {
                return true;
            }
            if (kind == KIND_NOP) {
                at++;
                continue;
            }
            if (at + 1 >= end) {
                return false;
            }
            int len = buf[at + 1] & 0xFF;
            if (len < 2 || at + len > end) {
                return false;
            }
            switch (kind) {
                case KIND_MSS -> {
                    if (len != 4) {
                        return false;
                    }
                    mss = Bytes.u16(buf, at + 2);
                }
                case KIND_WINDOW_SCALE -> {
                    if (len != 3) {
                        return false;
                    }
                    windowScale = Math.min(buf[at + 2] & 0xFF, MAX_WINDOW_SCALE);
                }
                case KIND_SACK_PERMITTED -> {
                    if (len != 2) {
                        return false;
                    }
                    sackPermitted = true;
                }
                case KIND_SACK -> {
                    if ((len - 2) % 8 != 0) {
                        return false;
                    }
                    sackBlocks = (len - 2) / 8;
                    sackOffset = at;
                    sackLength = len;
                }
                case KIND_TIMESTAMP -> {
                    if (len != 10) {
                        return false;
                    }
                    hasTimestamp = true;
                    tsValOffset = at + 2;
                    tsVal = Bytes.i32(buf, at + 2);
                    tsEcr = Bytes.i32(buf, at + 6);
                }
                default -> {
                    // Unknown options (MPTCP, TFO, MD5...) are skipped by their length.
                }
            }
            at += len;
        }
        return true;
    }
}
