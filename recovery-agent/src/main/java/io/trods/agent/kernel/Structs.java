package io.trods.agent.kernel;

import java.net.Inet4Address;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Packs the kernel's structs. The TCP_REPAIR ones are all {@code __u32} fields, so an {@code int[]}
 * is their exact image and JNA passes it in native byte order.
 */
final class Structs {

    static final int SOCKADDR_IN_SIZE = 16;
    /** struct tcp_repair_window: snd_wl1, snd_wnd, max_window, rcv_wnd, rcv_wup. */
    static final int REPAIR_WINDOW_INTS = 5;
    /** Up to four struct tcp_repair_opt {opt_code, opt_val}. */
    static final int REPAIR_OPTIONS_MAX_INTS = 8;
    /** The receive window we advertise: the client only sends requests, and more would be a promise
     *  our socket buffer may not keep. */
    static final int RECEIVE_WINDOW = 65535;

    private Structs() {
    }

    /** struct sockaddr_in: family in host order, port and address in network order, 8 zero bytes. */
    static byte[] sockaddrIn(Inet4Address address, int port) {
        ByteBuffer b = ByteBuffer.allocate(SOCKADDR_IN_SIZE).order(ByteOrder.nativeOrder());
        b.putShort((short) LibC.AF_INET);
        b.order(ByteOrder.BIG_ENDIAN).putShort((short) port);
        b.put(address.getAddress());
        return b.array();
    }

    /** Fills {@code out} with the tcp_repair_opt array; returns how many ints it used. */
    static int repairOptions(RepairSpec spec, int[] out) {
        int n = 0;
        out[n++] = LibC.TCPOPT_MAXSEG;
        out[n++] = spec.mss();
        out[n++] = LibC.TCPOPT_WINDOW; // with 0/0 it is the same as no scaling
        out[n++] = spec.sndWscale() | (spec.rcvWscale() << 16);
        if (spec.sackPermitted()) {
            out[n++] = LibC.TCPOPT_SACK_PERM;
            out[n++] = 0;
        }
        if (spec.timestamps()) {
            out[n++] = LibC.TCPOPT_TIMESTAMP;
            out[n++] = 0;
        }
        return n;
    }

    /** Fills {@code out} with struct tcp_repair_window. */
    static void repairWindow(RepairSpec spec, int[] out) {
        int sndWnd = spec.peerWindow() << spec.sndWscale(); // < 2^30: fits
        out[0] = spec.recvSeq();             // snd_wl1: the client's segments at recvSeq may update it
        out[1] = sndWnd;                     // snd_wnd
        out[2] = sndWnd;                     // max_window (the kernel wants >= snd_wnd)
        out[3] = receiveWindow(spec.rcvWscale()); // rcv_wnd
        out[4] = spec.recvSeq();             // rcv_wup: window last advertised at recvSeq
    }

    /** At most 64 KiB, a multiple of our scale so that the advertised field is exact. */
    static int receiveWindow(int rcvWscale) {
        return (RECEIVE_WINDOW >>> rcvWscale) << rcvWscale;
    }

    /**
     * The value for setsockopt(TCP_TIMESTAMP). The kernel does {@code usec_ts = val & 1;
     * tsoffset = val - tcp_clock_ts(usec_ts)}: the value is the TSval to send now, and bit 0 picks
     * microsecond ticks (6.7+). We keep millisecond ticks (what Linux negotiates by default) and round
     * up, never down, so that the client's PAWS check passes.
     */
    static int timestampValue(int tsVal) {
        return (tsVal + 1) & ~1;
    }

    /** The TCP_MAXSEG value: the kernel refuses anything outside [88, 32767]. */
    static int userMss(int mss) {
        return Math.min(mss, 32767);
    }
}
