package io.trods.agent.kernel;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.trods.agent.netlink.NetlinkBuffer;
import io.trods.agent.netlink.NetlinkException;
import io.trods.agent.netlink.Nflog;
import io.trods.agent.netlink.Nfqueue;
import io.trods.agent.netlink.QueuedPacket;
import java.io.Closeable;
import java.nio.ByteBuffer;

/**
 * One netlink socket bound to one or more NFQUEUE queues, and optionally to an NFLOG group whose
 * copies then arrive on it in order with the queued packets (a connection's SYN before its first
 * queued segment). Packets arrive parsed by the {@link Nfqueue} codec; verdicts go back through it. The rules that feed the queues use "bypass",
 * so packets flow on without us whenever this socket is closed or its process is gone (fail-open).
 * One thread receives and sends; {@link #receive} returns 0 after the receive timeout so that the
 * thread can do periodic work.
 */
public final class NfQueueSocket implements Closeable {

    /** The biggest GSO packet plus netlink framing. */
    public static final int BUFFER_BYTES = 0x10000 + 4096;

    private final int fd;
    private final int[] queues;
    /** The NFLOG group bound on this socket, -1 for none. */
    private int logGroup = -1;
    private final ByteBuffer in = ByteBuffer.allocateDirect(BUFFER_BYTES);
    private final long inAddress = Pointer.nativeValue(Native.getDirectBufferPointer(in));
    private final ByteBuffer out = ByteBuffer.allocateDirect(BUFFER_BYTES);
    private final long outAddress = Pointer.nativeValue(Native.getDirectBufferPointer(out));
    private final NetlinkBuffer control = new NetlinkBuffer(256);
    private final NetlinkBuffer wakeMessage = new NetlinkBuffer(64);
    private final ByteBuffer wake = ByteBuffer.allocateDirect(64);
    private final long wakeAddress = Pointer.nativeValue(Native.getDirectBufferPointer(wake));
    private final QueuedPacket reply = new QueuedPacket();
    private long droppedReports;
    private boolean closed;

    private NfQueueSocket(int fd, int[] queues) {
        this.fd = fd;
        this.queues = queues.clone();
    }

    /**
     * Binds the queues with whole-packet copies and the given {@link Nfqueue} flags.
     *
     * @param receiveTimeoutMillis how long {@link #receive} waits before returning 0
     */
    public static NfQueueSocket open(int[] queues, int maxQueueLength, int flags, int receiveTimeoutMillis)
            throws KernelCallException, NetlinkException {
        return open(queues, maxQueueLength, flags, receiveTimeoutMillis, -1);
    }

    /**
     * As {@link #open(int[], int, int, int)}, and binds the NFLOG group {@code logGroup} (unless
     * negative) with whole, numbered copies sent one by one.
     */
    public static NfQueueSocket open(int[] queues, int maxQueueLength, int flags, int receiveTimeoutMillis,
            int logGroup) throws KernelCallException, NetlinkException {
        int fd = LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, LibC.NETLINK_NETFILTER);
        if (fd < 0) {
            throw KernelCallException.last("socket(AF_NETLINK, NETLINK_NETFILTER)");
        }
        NfQueueSocket socket = new NfQueueSocket(fd, queues);
        try {
            byte[] local = new byte[12]; // sockaddr_nl: family, pad, pid 0 (kernel assigns), groups 0
            local[0] = (byte) LibC.AF_NETLINK;
            if (LibC.bind(fd, local, local.length) < 0) {
                throw KernelCallException.last("bind(AF_NETLINK)");
            }
            setInt(fd, LibC.SOL_NETLINK, LibC.NETLINK_NO_ENOBUFS, 1, "setsockopt(NETLINK_NO_ENOBUFS)");
            setInt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, 16 << 20, "setsockopt(SO_RCVBUFFORCE)");
            int[] timeval = {receiveTimeoutMillis / 1000, 0, receiveTimeoutMillis % 1000 * 1000, 0};
            if (LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, timeval, 16) < 0) {
                throw KernelCallException.last("setsockopt(SO_RCVTIMEO)");
            }
            int seq = 1;
            for (int queue : queues) {
                Nfqueue.bind(socket.control.clear(), seq, queue);
                socket.request(seq++);
                Nfqueue.configure(socket.control.clear(), seq, queue, 0xFFFF, maxQueueLength, flags);
                socket.request(seq++);
            }
            if (logGroup >= 0) {
                Nflog.bind(socket.control.clear(), seq, logGroup);
                socket.request(seq++);
                socket.logGroup = logGroup;
                Nflog.configure(socket.control.clear(), seq, logGroup, 0xFFFF);
                socket.request(seq++);
            }
            return socket;
        } catch (KernelCallException | NetlinkException | RuntimeException e) {
            LibC.close(fd);
            throw e;
        }
    }

    private static void setInt(int fd, int level, int name, int value, String operation) throws KernelCallException {
        if (LibC.setsockopt(fd, level, name, new int[] {value}, Integer.BYTES) < 0) {
            throw KernelCallException.last(operation);
        }
    }

    /** Sends a configuration message and waits for the kernel's acknowledgement of it. */
    private void request(int seq) throws KernelCallException, NetlinkException {
        send(control);
        NetlinkBuffer replies = new NetlinkBuffer(BUFFER_BYTES);
        for (int attempt = 0; attempt < 16; attempt++) {
            int n = receive(replies);
            for (int at = 0; at < n; ) {
                at = Nfqueue.parse(replies, at, n, reply);
                if (reply.kind == QueuedPacket.Kind.ACK && reply.ackSeq == seq) {
                    return;
                }
            }
        }
        throw new NetlinkException("no acknowledgement for configuration request " + seq, 0);
    }

    /**
     * Receives the next batch of messages into {@code into}.
     *
     * @return bytes received, 0 if the receive timeout passed first
     */
    public int receive(NetlinkBuffer into) throws KernelCallException {
        return receive(into, true);
    }

    /**
     * Receives the next batch of messages into {@code into}; without {@code wait}, returns 0 at
     * once when none is there.
     *
     * @return bytes received, 0 if the receive timeout passed first (or nothing was there)
     */
    public int receive(NetlinkBuffer into, boolean wait) throws KernelCallException {
        while (true) {
            long n = LibC.recv(fd, inAddress, BUFFER_BYTES, wait ? 0 : LibC.MSG_DONTWAIT);
            if (n >= 0) {
                in.clear();
                in.get(into.array(), 0, (int) n);
                return (int) n;
            }
            int errno = Native.getLastError();
            if (errno == LibC.EAGAIN) {
                return 0;
            }
            if (errno == LibC.ENOBUFS) {
                droppedReports++; // the kernel dropped messages for us; their packets were accepted (fail-open)
                continue;
            }
            if (errno != LibC.EINTR) {
                throw new KernelCallException("recv(nfqueue)", errno);
            }
        }
    }

    /** {@link #await}'s answer: the queue socket has something to receive. */
    public static final int QUEUE_READY = 1;
    /** {@link #await}'s answer: the other descriptor has something to receive. */
    public static final int OTHER_READY = 2;
    private final byte[] pollFds = new byte[16];
    private final java.nio.ByteBuffer pollView = java.nio.ByteBuffer.wrap(pollFds).order(java.nio.ByteOrder.nativeOrder());

    /**
     * Waits until this socket or {@code otherFd} (a connection the same thread drives) has
     * something to receive, at most {@code timeoutMillis}.
     *
     * @return {@link #QUEUE_READY} and {@link #OTHER_READY} or'ed, 0 after the timeout
     */
    public int await(int otherFd, int timeoutMillis) throws KernelCallException {
        pollView.putInt(0, fd).putShort(4, LibC.POLLIN).putShort(6, (short) 0);
        pollView.putInt(8, otherFd).putShort(12, LibC.POLLIN).putShort(14, (short) 0);
        int n = LibC.poll(pollFds, 2, timeoutMillis);
        if (n < 0) {
            int errno = Native.getLastError();
            if (errno == LibC.EINTR) {
                return 0;
            }
            throw new KernelCallException("poll", errno);
        }
        // Any event (readable, error, hang-up) means the receive will not block: the receive says which.
        return (pollView.getShort(6) != 0 ? QUEUE_READY : 0) | (pollView.getShort(14) != 0 ? OTHER_READY : 0);
    }

    public void send(NetlinkBuffer message) throws KernelCallException {
        out.clear();
        out.put(message.array(), 0, message.length());
        long n = LibC.send(fd, outAddress, message.length(), 0);
        if (n < 0) {
            throw KernelCallException.last("send(nfqueue)");
        }
    }

    /**
     * Wakes the thread blocked in {@link #receive} up at once, from any thread: the kernel answers
     * an empty configuration message with an acknowledgement, which {@code receive} returns.
     * Best effort: a failure only means the wait lasts until the next packet or the timeout.
     */
    public synchronized void wakeUp() {
        if (closed) {
            return;
        }
        Nfqueue.ping(wakeMessage.clear(), queues[0]);
        wake.clear();
        wake.put(wakeMessage.array(), 0, wakeMessage.length());
        LibC.send(fd, wakeAddress, wakeMessage.length(), 0);
    }

    public long droppedReports() {
        return droppedReports;
    }

    /** Unbinds the queues (packets then take the rules' bypass) and the log group. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (logGroup >= 0) {
            try {
                Nflog.unbind(control.clear(), 0, logGroup);
                send(control);
            } catch (KernelCallException e) {
                // closing the socket unbinds it as well
            }
        }
        for (int queue : queues) {
            try {
                Nfqueue.unbind(control.clear(), 0, queue);
                send(control);
            } catch (KernelCallException e) {
                break; // closing the socket unbinds them as well
            }
        }
        LibC.close(fd);
    }
}
