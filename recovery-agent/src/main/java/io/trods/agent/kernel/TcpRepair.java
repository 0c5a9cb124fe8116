package io.trods.agent.kernel;

import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * Recreates a client's established TCP connection in this host's kernel with TCP_REPAIR, so that
 * the kernel carries it on at the client's exact sequence numbers, options and timestamps.
 *
 * <p>Needs CAP_NET_ADMIN. Sockets are created in the calling thread's network namespace (see
 * {@link NetNamespace}). Availability is probed once, on a throwaway socket.
 */
public final class TcpRepair {

    private TcpRepair() {
    }

    public static boolean isAvailable() {
        return Probe.CAUSE == null;
    }

    /** Why {@link #isAvailable()} is false (EPERM without CAP_NET_ADMIN, JNA not loadable, ...), else null. */
    public static Throwable unavailabilityCause() {
        return Probe.CAUSE;
    }

    /**
     * Creates a socket that is, for the kernel, the established connection {@code spec} describes.
     * Nothing is sent until repair mode is left; then one window probe (an ACK at sendSeq - 1) draws
     * a duplicate ACK from the client, which refreshes its window and timestamp here. The connection
     * can be written to at once, within {@code spec.peerWindow()}.
     *
     * <p>The 4-tuple must be free: the connection must not already exist in this namespace. The
     * local port may be held by a listener (nginx on *:80): repair mode forces the bind (the
     * kernel's SK_FORCE_REUSE); SO_REUSEADDR would not be enough, and IP_FREEBIND would only matter
     * for an address that is not local, which we do not use.
     */
    public static RepairedConnection recreate(RepairSpec spec) throws KernelCallException {
        ensureAvailable();
        int fd = LibC.socket(LibC.AF_INET, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw KernelCallException.last("socket(AF_INET, SOCK_STREAM)");
        }
        boolean done = false;
        try {
            repair(fd, spec);
            done = true;
            return new RepairedConnection(fd);
        } finally {
            if (!done) {
                LibC.close(fd); // still in repair mode (or never connected): sends nothing
            }
        }
    }

    /**
     * Destroys a connected socket without sending anything (no FIN, no RST): in repair mode
     * close() only drops it. The fd is closed even if repair mode is refused, and then the peer may
     * see a FIN or RST: the exception says so.
     */
    public static void discard(int fd) throws KernelCallException {
        int[] on = {LibC.TCP_REPAIR_ON};
        int rc = LibC.setsockopt(fd, LibC.SOL_TCP, LibC.TCP_REPAIR, on, Integer.BYTES);
        KernelCallException failure = rc < 0 ? KernelCallException.last("setsockopt(TCP_REPAIR=1)") : null;
        if (LibC.close(fd) < 0 && failure == null) {
            failure = KernelCallException.last("close");
        }
        if (failure != null) {
            throw failure;
        }
    }

    static void ensureAvailable() {
        if (Probe.CAUSE != null) {
            throw new IllegalStateException("TCP_REPAIR is not available", Probe.CAUSE);
        }
    }

    private static void repair(int fd, RepairSpec spec) throws KernelCallException {
        int[] ints = new int[Structs.REPAIR_OPTIONS_MAX_INTS];
        // Marked, so that the interception rules queue its client's packets (the engine may lower
        // their ACKs) where other connections' are only logged.
        ints[0] = InterceptionRules.RECOVERED_MARK;
        if (LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_MARK, ints, Integer.BYTES) < 0) {
            throw KernelCallException.last("setsockopt(SO_MARK)");
        }
        // Before bind: repair mode is what lets us bind next to a listener on the same port.
        setInt(fd, LibC.TCP_REPAIR, LibC.TCP_REPAIR_ON, ints, "setsockopt(TCP_REPAIR=1)");
        byte[] local = Structs.sockaddrIn(spec.localAddress(), spec.localPort());
        if (LibC.bind(fd, local, local.length) < 0) {
            throw KernelCallException.last("bind(" + spec.localAddress().getHostAddress() + ':' + spec.localPort() + ')');
        }
        setInt(fd, LibC.TCP_REPAIR_QUEUE, LibC.TCP_SEND_QUEUE, ints, "setsockopt(TCP_REPAIR_QUEUE=SEND)");
        setInt(fd, LibC.TCP_QUEUE_SEQ, spec.sendSeq(), ints, "setsockopt(TCP_QUEUE_SEQ, send)");
        setInt(fd, LibC.TCP_REPAIR_QUEUE, LibC.TCP_RECV_QUEUE, ints, "setsockopt(TCP_REPAIR_QUEUE=RECV)");
        setInt(fd, LibC.TCP_QUEUE_SEQ, spec.recvSeq(), ints, "setsockopt(TCP_QUEUE_SEQ, recv)");
        // connect() computes the send MSS from the clamp; TCPOPT_MAXSEG later does not recompute it.
        setInt(fd, LibC.TCP_MAXSEG, Structs.userMss(spec.mss()), ints, "setsockopt(TCP_MAXSEG)");
        byte[] remote = Structs.sockaddrIn(spec.remoteAddress(), spec.remotePort());
        if (LibC.connect(fd, remote, remote.length) < 0) { // in repair mode: no SYN, straight to ESTABLISHED
            throw KernelCallException.last("connect(" + spec.remoteAddress().getHostAddress() + ':' + spec.remotePort() + ')');
        }
        int n = Structs.repairOptions(spec, ints);
        if (LibC.setsockopt(fd, LibC.SOL_TCP, LibC.TCP_REPAIR_OPTIONS, ints, n * Integer.BYTES) < 0) {
            throw KernelCallException.last("setsockopt(TCP_REPAIR_OPTIONS)");
        }
        if (spec.timestamps()) {
            setInt(fd, LibC.TCP_TIMESTAMP, Structs.timestampValue(spec.tsVal()), ints, "setsockopt(TCP_TIMESTAMP)");
        }
        Structs.repairWindow(spec, ints);
        if (LibC.setsockopt(fd, LibC.SOL_TCP, LibC.TCP_REPAIR_WINDOW, ints, Structs.REPAIR_WINDOW_INTS * Integer.BYTES) < 0) {
            throw KernelCallException.last("setsockopt(TCP_REPAIR_WINDOW)");
        }
        // TCP_REPAIR_OFF, not OFF_NO_WP: its window probe (an ACK at sendSeq - 1) draws an immediate
        // duplicate ACK, which brings us the client's current window and TSval (ts_recent). The client
        // answers such a pure ACK at most every 500 ms (net.ipv4.tcp_invalid_ratelimit).
        setInt(fd, LibC.TCP_REPAIR, LibC.TCP_REPAIR_OFF, ints, "setsockopt(TCP_REPAIR=0)");
    }

    private static void setInt(int fd, int name, int value, int[] scratch, String operation) throws KernelCallException {
        scratch[0] = value;
        if (LibC.setsockopt(fd, LibC.SOL_TCP, name, scratch, Integer.BYTES) < 0) {
            throw KernelCallException.last(operation);
        }
    }

    /** Checked once, on first use (holder idiom). */
    private static final class Probe {
        static final Throwable CAUSE = probe();

        private static Throwable probe() {
            try {
                if (!Platform.isLinux() || Native.POINTER_SIZE != Long.BYTES) {
                    return new UnsupportedOperationException("TCP_REPAIR needs 64-bit Linux");
                }
                int fd = LibC.socket(LibC.AF_INET, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
                if (fd < 0) {
                    return KernelCallException.last("socket(AF_INET, SOCK_STREAM)");
                }
                try {
                    int[] on = {LibC.TCP_REPAIR_ON};
                    if (LibC.setsockopt(fd, LibC.SOL_TCP, LibC.TCP_REPAIR, on, Integer.BYTES) < 0) {
                        return KernelCallException.last("setsockopt(TCP_REPAIR=1)");
                    }
                } finally {
                    LibC.close(fd);
                }
                return null;
            } catch (LinkageError | RuntimeException e) { // JNA or libc missing
                return e;
            }
        }
    }
}
