package io.trods.agent.kernel;

import com.sun.jna.Native;
import java.io.IOException;

/**
 * A libc call failed: the operation, its errno and strerror text.
 *
 * <p>Checked ({@link IOException}) on purpose: EPERM, EADDRINUSE or a missing namespace are
 * conditions of the host, not bugs, and the caller must decide what to do (the agent fails open and
 * leaves the flow to be reset, as it would be without us). It sits with the socket I/O errors that
 * {@link java.io.Closeable} callers handle anyway.
 */
public final class KernelCallException extends IOException {

    private static final long serialVersionUID = 1L;

    private final String operation;
    private final int errno;

    public KernelCallException(String operation, int errno) {
        super(operation + " failed: errno " + errno + " (" + describe(errno) + ")");
        this.operation = operation;
        this.errno = errno;
    }

    /** For a call that has just returned -1 on this thread. */
    static KernelCallException last(String operation) {
        return new KernelCallException(operation, Native.getLastError());
    }

    /** The failed operation, e.g. {@code setsockopt(TCP_REPAIR_OPTIONS)}. */
    public String operation() {
        return operation;
    }

    public int errno() {
        return errno;
    }

    private static String describe(int errno) {
        try {
            String text = LibC.strerror(errno);
            return text == null ? "unknown" : text;
        } catch (LinkageError e) { // libc not loadable: the number must do
            return "unknown";
        }
    }
}
