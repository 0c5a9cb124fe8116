package io.trods.agent.kernel;

import io.trods.agent.engine.SegmentSender;
import java.io.Closeable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends complete IPv4 packets the agent built (IPPROTO_RAW: the header is ours, source address
 * included). Used for the few segments the agent sends on a server's or the service's behalf. A
 * failed send is logged and counted, never thrown: these segments speed things up, the clients'
 * own retransmissions stay the fallback.
 */
public final class RawSocket implements SegmentSender, Closeable {

    private static final Logger log = LoggerFactory.getLogger(RawSocket.class);

    private final int fd;
    private final byte[] address = new byte[Structs.SOCKADDR_IN_SIZE];
    private volatile long failures;

    private RawSocket(int fd) {
        this.fd = fd;
    }

    /** Segments the agent sends itself: the kernel's fast path leaves them as they are. */
    public static final int AGENT_MARK = 0x54520005;

    public static RawSocket open() throws KernelCallException {
        int fd = LibC.socket(LibC.AF_INET, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, LibC.IPPROTO_RAW);
        if (fd < 0) {
            throw KernelCallException.last("socket(AF_INET, SOCK_RAW, IPPROTO_RAW)");
        }
        // A release must reopen the window: a zero-window lane must not rewrite it on its way out.
        if (LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_MARK, new int[] {AGENT_MARK}, 4) < 0) {
            KernelCallException cause = KernelCallException.last("setsockopt(SO_MARK)");
            LibC.close(fd);
            throw cause;
        }
        return new RawSocket(fd);
    }

    @Override
    public synchronized void send(byte[] segment, int length, int destination) {
        byte[] sockaddr = Structs.sockaddrIn(Ipv4.of(destination), 0);
        System.arraycopy(sockaddr, 0, address, 0, sockaddr.length);
        if (LibC.sendto(fd, segment, length, 0, address, address.length) < 0) {
            failures++;
            log.debug("raw send failed: {}", KernelCallException.last("sendto(raw)").getMessage());
        }
    }

    public long failures() {
        return failures;
    }

    @Override
    public void close() {
        LibC.close(fd);
    }
}
