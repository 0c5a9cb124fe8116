package io.trods.agent.packet;

/**
 * TCP sequence number arithmetic modulo 2^32 (RFC 9293 section 3.4). Sequence numbers are carried as
 * Java {@code int}s holding the unsigned 32-bit value; comparisons must never use plain {@code <}.
 */
public final class SeqNum {

    private SeqNum() {
    }

    /** {@code a - b} as a signed distance, valid while the two are less than 2^31 apart. */
    public static int diff(int a, int b) {
        return a - b;
    }

    public static boolean before(int a, int b) {
        return a - b < 0;
    }

    public static boolean after(int a, int b) {
        return a - b > 0;
    }

    public static boolean beforeOrEqual(int a, int b) {
        return a - b <= 0;
    }

    /** The later of two sequence numbers. */
    public static int max(int a, int b) {
        return after(a, b) ? a : b;
    }

    /** Unsigned value, for logs, storage and JSON. */
    public static long unsigned(int seq) {
        return seq & 0xFFFF_FFFFL;
    }
}
