package io.trods.agent.kernel;

import com.sun.jna.Native;
import java.net.Inet4Address;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.function.Predicate;

/** Test-side socket plumbing: a raw listener, and reading a live socket's state as the agent would know it. */
final class TcpProbe {

    private static final int TCP_INFO_SIZE = 232; // sizeof(struct tcp_info) in the 6.x uapi header

    private TcpProbe() {
    }

    /** What the tests read from struct tcp_info (offsets checked with offsetof against linux/tcp.h). */
    record TcpInfo(int options, int sndWscale, int rcvWscale, int sndMss, int rcvMss, int unacked,
                   int totalRetrans, int segsIn) {
        static final int TIMESTAMPS = 1;
        static final int SACK = 2;
        static final int WSCALE = 4;
    }

    static int listen(Inet4Address address, int port) throws KernelCallException {
        int fd = check(LibC.socket(LibC.AF_INET, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0), "socket");
        setInt(fd, LibC.SOL_SOCKET, LibC.SO_REUSEADDR, 1);
        byte[] sa = Structs.sockaddrIn(address, port);
        check(LibC.bind(fd, sa, sa.length), "bind");
        check(LibC.listen(fd, 16), "listen");
        return fd;
    }

    static int accept(int listenFd) throws KernelCallException {
        return check(LibC.accept(listenFd, null, null), "accept");
    }

    /** Binds a fresh socket with the given setup; returns the errno of bind (0 if it worked). */
    static int bindErrno(Inet4Address address, int port, boolean reuseAddr, boolean repair) throws KernelCallException {
        int fd = check(LibC.socket(LibC.AF_INET, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0), "socket");
        try {
            if (reuseAddr) {
                setInt(fd, LibC.SOL_SOCKET, LibC.SO_REUSEADDR, 1);
            }
            if (repair) {
                setInt(fd, LibC.SOL_TCP, LibC.TCP_REPAIR, LibC.TCP_REPAIR_ON);
            }
            byte[] sa = Structs.sockaddrIn(address, port);
            return LibC.bind(fd, sa, sa.length) < 0 ? Native.getLastError() : 0;
        } finally {
            LibC.close(fd);
        }
    }

    static TcpInfo info(int fd) throws KernelCallException {
        byte[] raw = new byte[TCP_INFO_SIZE];
        int[] len = {raw.length};
        check(LibC.getsockopt(fd, LibC.SOL_TCP, LibC.TCP_INFO, raw, len), "getsockopt(TCP_INFO)");
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
        int scales = raw[6] & 0xFF; // bit-fields: tcpi_snd_wscale in the low nibble (little-endian)
        return new TcpInfo(raw[5] & 0xFF, scales & 0xF, scales >>> 4, b.getInt(16), b.getInt(20), b.getInt(24),
                b.getInt(100), b.getInt(140));
    }

    /**
     * Freezes the socket in repair mode (so that closing it later sends nothing) and reads what the agent
     * would have for it. The client's position is ours only when all we sent is acked: callers wait first.
     */
    static RepairSpec capture(int fd, Inet4Address local, int localPort, Inet4Address remote, int remotePort)
            throws KernelCallException {
        setInt(fd, LibC.SOL_TCP, LibC.TCP_REPAIR, LibC.TCP_REPAIR_ON);
        setInt(fd, LibC.SOL_TCP, LibC.TCP_REPAIR_QUEUE, LibC.TCP_SEND_QUEUE);
        int sendSeq = getInt(fd, LibC.SOL_TCP, LibC.TCP_QUEUE_SEQ);
        setInt(fd, LibC.SOL_TCP, LibC.TCP_REPAIR_QUEUE, LibC.TCP_RECV_QUEUE);
        int recvSeq = getInt(fd, LibC.SOL_TCP, LibC.TCP_QUEUE_SEQ);
        int mss = getInt(fd, LibC.SOL_TCP, LibC.TCP_MAXSEG); // in repair mode: mss_clamp, the client's MSS
        int tsVal = getInt(fd, LibC.SOL_TCP, LibC.TCP_TIMESTAMP);
        int[] window = new int[Structs.REPAIR_WINDOW_INTS];
        int[] len = {window.length * Integer.BYTES};
        check(LibC.getsockopt(fd, LibC.SOL_TCP, LibC.TCP_REPAIR_WINDOW, window, len), "getsockopt(TCP_REPAIR_WINDOW)");
        TcpInfo info = info(fd);
        return new RepairSpec(local, localPort, remote, remotePort, sendSeq, recvSeq, mss, info.sndWscale(),
                info.rcvWscale(), (info.options() & TcpInfo.SACK) != 0, (info.options() & TcpInfo.TIMESTAMPS) != 0,
                tsVal, 0, window[1] >>> info.sndWscale());
    }

    /** Repairs the timestamp of a live socket in place (repair on, TCP_TIMESTAMP, repair off). */
    static void setTimestamp(int fd, int tsVal) throws KernelCallException {
        setInt(fd, LibC.SOL_TCP, LibC.TCP_REPAIR, LibC.TCP_REPAIR_ON);
        setInt(fd, LibC.SOL_TCP, LibC.TCP_TIMESTAMP, Structs.timestampValue(tsVal));
        setInt(fd, LibC.SOL_TCP, LibC.TCP_REPAIR, LibC.TCP_REPAIR_OFF);
    }

    static void awaitAllAcked(int fd, Duration timeout) throws Exception {
        await(fd, timeout, info -> info.unacked() == 0, "all data acked");
    }

    /** Waits until the socket has received {@code count} segments (e.g. the reply to its window probe). */
    static void awaitSegmentsIn(int fd, int count, Duration timeout) throws Exception {
        await(fd, timeout, info -> info.segsIn() >= count, count + " segments in");
    }

    private static void await(int fd, Duration timeout, Predicate<TcpInfo> done, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (TcpInfo info = info(fd); !done.test(info); info = info(fd)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + ": " + info);
            }
            Thread.sleep(5);
        }
    }

    static int getInt(int fd, int level, int name) throws KernelCallException {
        int[] value = {0};
        int[] len = {Integer.BYTES};
        check(LibC.getsockopt(fd, level, name, value, len), "getsockopt(" + name + ")");
        return value[0];
    }

    static void setInt(int fd, int level, int name, int value) throws KernelCallException {
        check(LibC.setsockopt(fd, level, name, new int[] {value}, Integer.BYTES), "setsockopt(" + name + "=" + value + ")");
    }

    private static int check(int rc, String operation) throws KernelCallException {
        if (rc < 0) {
            throw KernelCallException.last(operation);
        }
        return rc;
    }
}
