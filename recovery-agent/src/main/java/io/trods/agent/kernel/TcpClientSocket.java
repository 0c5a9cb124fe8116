package io.trods.agent.kernel;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.Closeable;
import java.net.Inet4Address;
import java.nio.ByteBuffer;

/**
 * A plain TCP client socket through libc, for a connection that the packet thread drives itself
 * without blocking and waits on together with its queue socket ({@link NfQueueSocket#await}): Java's
 * own sockets do not expose their file descriptor for that. Connecting and the first exchange block
 * (bounded by a timeout, on a thread that may wait); afterwards {@link #sendNow} and
 * {@link #receiveNow} never block. Not thread-safe: one thread at a time.
 */
public final class TcpClientSocket implements Closeable {

    private final int fd;
    private final ByteBuffer out;
    private final long outAddress;
    private final ByteBuffer in;
    private final long inAddress;
    private boolean closed;

    private TcpClientSocket(int fd, int bufferBytes) {
        this.fd = fd;
        this.out = ByteBuffer.allocateDirect(bufferBytes);
        this.outAddress = Pointer.nativeValue(Native.getDirectBufferPointer(out));
        this.in = ByteBuffer.allocateDirect(bufferBytes);
        this.inAddress = Pointer.nativeValue(Native.getDirectBufferPointer(in));
    }

    /**
     * Connects, with Nagle off (a command must leave at once, not wait for the last one's answer).
     *
     * @param timeoutMillis for the connection, and for each blocking send and receive after it
     * @param bufferBytes the most one call sends or receives
     */
    public static TcpClientSocket connect(Inet4Address address, int port, int timeoutMillis, int bufferBytes)
            throws KernelCallException {
        int fd = LibC.socket(LibC.AF_INET, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw KernelCallException.last("socket(AF_INET, SOCK_STREAM)");
        }
        try {
            int[] timeval = {timeoutMillis / 1000, 0, timeoutMillis % 1000 * 1000, 0};
            check(LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_SNDTIMEO, timeval, 16), "setsockopt(SO_SNDTIMEO)");
            check(LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, timeval, 16), "setsockopt(SO_RCVTIMEO)");
            check(LibC.setsockopt(fd, LibC.SOL_TCP, LibC.TCP_NODELAY, new int[] {1}, 4), "setsockopt(TCP_NODELAY)");
            byte[] sockaddr = Structs.sockaddrIn(address, port);
            if (LibC.connect(fd, sockaddr, sockaddr.length) < 0) {
                int errno = Native.getLastError();
                // With SO_SNDTIMEO, a connection not made in time fails with EINPROGRESS.
                throw new KernelCallException("connect(" + address.getHostAddress() + ":" + port + ")"
                        + (errno == LibC.EINPROGRESS ? " timed out" : ""), errno);
            }
            return new TcpClientSocket(fd, bufferBytes);
        } catch (KernelCallException | RuntimeException e) {
            LibC.close(fd);
            throw e;
        }
    }

    private static void check(int rc, String operation) throws KernelCallException {
        if (rc < 0) {
            throw KernelCallException.last(operation);
        }
    }

    /** The descriptor, to wait on with poll(2). */
    public int fd() {
        return fd;
    }

    /**
     * Sends what the kernel takes at once of {@code bytes[offset, offset + length)}.
     *
     * @return bytes sent, 0 if the socket's buffer is full
     */
    public int sendNow(byte[] bytes, int offset, int length) throws KernelCallException {
        return send(bytes, offset, length, LibC.MSG_DONTWAIT);
    }

    /** Sends all of it, waiting at most the timeout for each part. */
    public void sendAll(byte[] bytes, int offset, int length) throws KernelCallException {
        while (length > 0) {
            int n = send(bytes, offset, length, 0);
            if (n == 0) {
                throw new KernelCallException("send timed out", LibC.EAGAIN);
            }
            offset += n;
            length -= n;
        }
    }

    private int send(byte[] bytes, int offset, int length, int flags) throws KernelCallException {
        int chunk = Math.min(length, out.capacity());
        out.clear();
        out.put(bytes, offset, chunk);
        while (true) {
            long n = LibC.send(fd, outAddress, chunk, flags | MSG_NOSIGNAL);
            if (n >= 0) {
                return (int) n;
            }
            int errno = Native.getLastError();
            if (errno == LibC.EAGAIN) {
                return 0;
            }
            if (errno != LibC.EINTR) {
                throw new KernelCallException("send", errno);
            }
        }
    }

    /**
     * Receives what has arrived, without waiting, into {@code into[offset, offset + max)}.
     *
     * @return bytes received, 0 if none is there, -1 if the peer closed the connection
     */
    public int receiveNow(byte[] into, int offset, int max) throws KernelCallException {
        return receive(into, offset, max, LibC.MSG_DONTWAIT);
    }

    /** As {@link #receiveNow}, but waits up to the timeout for something to arrive (0: it did not). */
    public int receive(byte[] into, int offset, int max) throws KernelCallException {
        return receive(into, offset, max, 0);
    }

    private int receive(byte[] into, int offset, int max, int flags) throws KernelCallException {
        int chunk = Math.min(max, in.capacity());
        while (true) {
            long n = LibC.recv(fd, inAddress, chunk, flags);
            if (n > 0) {
                in.clear();
                in.get(into, offset, (int) n);
                return (int) n;
            }
            if (n == 0) {
                return chunk == 0 ? 0 : -1;
            }
            int errno = Native.getLastError();
            if (errno == LibC.EAGAIN) {
                return 0;
            }
            if (errno != LibC.EINTR) {
                throw new KernelCallException("recv", errno);
            }
        }
    }

    /** MSG_NOSIGNAL: a connection the peer reset answers EPIPE, not SIGPIPE. */
    private static final int MSG_NOSIGNAL = 0x4000;

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            LibC.close(fd);
        }
    }
}
