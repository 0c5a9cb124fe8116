package io.trods.agent.netlink;

import java.io.IOException;

/** A malformed netlink message, or an error the kernel answered with (errno, 0 if none). */
public final class NetlinkException extends IOException {

    private static final long serialVersionUID = 1L;

    private final int errno;

    public NetlinkException(String message, int errno) {
        super(errno == 0 ? message : message + " (errno " + errno + ")");
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
