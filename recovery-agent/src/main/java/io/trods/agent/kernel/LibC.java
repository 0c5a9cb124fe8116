package io.trods.agent.kernel;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The few libc calls the kernel adapters need, by JNA direct mapping (no proxy, no boxing). After a
 * call returns -1, {@link Native#getLastError()} holds its errno: JNA saves errno after every
 * direct call, on the calling thread.
 *
 * <p>Buffers for {@code read}/{@code write} are raw addresses ({@code long}): that is exact on LP64,
 * where a pointer and a {@code long} travel in the same register, and it costs no allocation.
 * Constants were checked against /usr/include/linux/tcp.h and the 6.18 sources (x86_64 and
 * aarch64 share them).
 */
final class LibC {

    static final int AF_INET = 2;
    static final int SOCK_STREAM = 1;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int O_RDONLY = 0;
    static final int O_CLOEXEC = 0x80000;
    static final int CLONE_NEWNET = 0x40000000;

    static final int SOL_SOCKET = 1;
    static final int SO_REUSEADDR = 2;
    static final int SO_SNDBUFFORCE = 32;
    static final int SO_RCVBUFFORCE = 33;
    static final int SO_MARK = 36;
    static final int SO_RCVTIMEO = 20;
    static final int SO_SNDTIMEO = 21;
    static final int TCP_NODELAY = 1;
    static final short POLLIN = 1;
    static final int EINPROGRESS = 115;
    static final int SO_LINGER = 13;

    static final int AF_NETLINK = 16;
    static final int SOCK_RAW = 3;
    static final int NETLINK_NETFILTER = 12;
    static final int SOL_NETLINK = 270;
    static final int NETLINK_NO_ENOBUFS = 5;
    static final int NETLINK_CAP_ACK = 10;
    static final int IPPROTO_RAW = 255;
    static final int EAGAIN = 11;
    static final int MSG_DONTWAIT = 0x40;
    static final int ENOBUFS = 105;

    static final int SOL_TCP = 6;
    static final int TCP_MAXSEG = 2;
    static final int TCP_INFO = 11;
    static final int TCP_REPAIR = 19;
    static final int TCP_REPAIR_QUEUE = 20;
    static final int TCP_QUEUE_SEQ = 21;
    static final int TCP_REPAIR_OPTIONS = 22;
    static final int TCP_TIMESTAMP = 24;
    static final int TCP_REPAIR_WINDOW = 29;

    static final int TCP_REPAIR_ON = 1;
    static final int TCP_REPAIR_OFF = 0;
    static final int TCP_REPAIR_OFF_NO_WP = -1; // not used: we want the window probe

    static final int TCP_RECV_QUEUE = 1;
    static final int TCP_SEND_QUEUE = 2;

    static final int TCPOPT_MAXSEG = 2;
    static final int TCPOPT_WINDOW = 3;
    static final int TCPOPT_SACK_PERM = 4;
    static final int TCPOPT_TIMESTAMP = 8;

    static final int EPERM = 1;
    static final int ENOENT = 2;
    static final int EINTR = 4;
    static final int EBADF = 9;
    static final int EADDRINUSE = 98;

    static {
        Native.register(LibC.class, Platform.C_LIBRARY_NAME);
    }

    private LibC() {
    }

    static native int socket(int domain, int type, int protocol);

    static native int setsockopt(int fd, int level, int name, int[] value, int length);

    static native int getsockopt(int fd, int level, int name, int[] value, int[] length);

    static native int getsockopt(int fd, int level, int name, byte[] value, int[] length);

    static native int bind(int fd, byte[] sockaddr, int length);

    static native int connect(int fd, byte[] sockaddr, int length);

    static native int listen(int fd, int backlog);

    static native int accept(int fd, Pointer sockaddr, Pointer length);

    static native long write(int fd, long buffer, long count);

    static native long read(int fd, long buffer, long count);

    static native int close(int fd);

    static native long send(int fd, long buffer, long count, int flags);

    static native long recv(int fd, long buffer, long count, int flags);

    static native long sendto(int fd, byte[] buffer, long count, int flags, byte[] address, int addressLength);

    /** poll(2) over struct pollfd[]: per entry an int fd, then short events and short revents. */
    static native int poll(byte[] fds, long count, int timeoutMillis);

    static native int setns(int fd, int nstype);

    static native int open(String path, int flags);

    static native String strerror(int errno);
}
