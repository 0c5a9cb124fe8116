package io.trods.agent.kernel;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.Closeable;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A blocking TCP socket carried by the kernel, typically one {@link TcpRepair#recreate recreated}.
 *
 * <p>At most one reading and one writing thread at a time. Heap data goes through a 64 KiB direct
 * buffer per direction, allocated on first use; direct buffers are passed as they are.
 * Closing while another thread is blocked in read or write is not supported.
 */
public final class RepairedConnection implements Closeable {

    private static final int CHUNK = 64 * 1024;

    private final int fd;
    private final AtomicBoolean closed = new AtomicBoolean();
    private ByteBuffer writeBuffer;
    private long writeAddress;
    private ByteBuffer readBuffer;
    private long readAddress;

    RepairedConnection(int fd) {
        this.fd = fd;
    }

    public int fd() {
        return fd;
    }

    public void write(byte[] data) throws KernelCallException {
        write(data, 0, data.length);
    }

    /** Writes all of it, blocking while the send buffer is full. */
    public void write(byte[] data, int offset, int length) throws KernelCallException {
        Objects.checkFromIndexSize(offset, length, data.length);
        write(ByteBuffer.wrap(data, offset, length));
    }

    /** Writes all remaining bytes of {@code src}; returns how many. */
    public int write(ByteBuffer src) throws KernelCallException {
        int total = src.remaining();
        if (src.isDirect()) {
            writeFully(address(src) + src.position(), total);
            src.position(src.limit());
            return total;
        }
        if (writeBuffer == null) {
            writeBuffer = ByteBuffer.allocateDirect(CHUNK);
            writeAddress = Pointer.nativeValue(Native.getDirectBufferPointer(writeBuffer));
        }
        while (src.hasRemaining()) {
            int n = Math.min(src.remaining(), CHUNK);
            writeBuffer.clear();
            writeBuffer.put(0, src, src.position(), n); // absolute bulk copy: also from read-only buffers
            writeFully(writeAddress, n);
            src.position(src.position() + n);
        }
        return total;
    }

    /** Reads what is available (blocking for at least one byte); -1 at end of stream. */
    public int read(byte[] data, int offset, int length) throws KernelCallException {
        Objects.checkFromIndexSize(offset, length, data.length);
        if (readBuffer == null) {
            readBuffer = ByteBuffer.allocateDirect(CHUNK);
            readAddress = Pointer.nativeValue(Native.getDirectBufferPointer(readBuffer));
        }
        int n = readOnce(readAddress, Math.min(length, CHUNK));
        if (n > 0) {
            readBuffer.clear();
            readBuffer.get(data, offset, n);
        }
        return n;
    }

    public int read(ByteBuffer dst) throws KernelCallException {
        if (!dst.isDirect()) {
            int n = read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
            if (n > 0) {
                dst.position(dst.position() + n);
            }
            return n;
        }
        int n = readOnce(address(dst) + dst.position(), dst.remaining());
        if (n > 0) {
            dst.position(dst.position() + n);
        }
        return n;
    }

    /** Ordinary close: the kernel finishes the connection (FIN, or RST if input is unread). */
    @Override
    public void close() throws KernelCallException {
        if (closed.compareAndSet(false, true) && LibC.close(fd) < 0) {
            throw KernelCallException.last("close");
        }
    }

    /**
     * Aborts the connection with a RST, as a server without TRODS would have: the answer to any
     * doubt about the bytes (BRIEF rule 2), never a splice of different ones.
     */
    public void reset() throws KernelCallException {
        if (closed.compareAndSet(false, true)) {
            int[] lingerZero = {1, 0}; // struct linger {l_onoff = 1, l_linger = 0}: close sends RST
            LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_LINGER, lingerZero, 2 * Integer.BYTES);
            if (LibC.close(fd) < 0) {
                throw KernelCallException.last("close");
            }
        }
    }

    /** Drops the connection without a packet, as {@link TcpRepair#discard(int)}. */
    public void discard() throws KernelCallException {
        if (closed.compareAndSet(false, true)) {
            TcpRepair.discard(fd);
        }
    }

    private void writeFully(long address, int length) throws KernelCallException {
        ensureOpen("write");
        long done = 0;
        while (done < length) {
            long n = LibC.write(fd, address + done, length - done);
            if (n < 0) {
                if (Native.getLastError() == LibC.EINTR) {
                    continue;
                }
                throw KernelCallException.last("write");
            }
            done += n;
        }
    }

    private int readOnce(long address, int length) throws KernelCallException {
        ensureOpen("read");
        if (length == 0) {
            return 0;
        }
        while (true) {
            long n = LibC.read(fd, address, length);
            if (n > 0) {
                return (int) n;
            }
            if (n == 0) {
                return -1;
            }
            if (Native.getLastError() != LibC.EINTR) {
                throw KernelCallException.last("read");
            }
        }
    }

    /** The fd number may already belong to another socket: fail as the kernel would have. */
    private void ensureOpen(String operation) throws KernelCallException {
        if (closed.get()) {
            throw new KernelCallException(operation, LibC.EBADF);
        }
    }

    private static long address(ByteBuffer direct) {
        return Pointer.nativeValue(Native.getDirectBufferPointer(direct));
    }
}
