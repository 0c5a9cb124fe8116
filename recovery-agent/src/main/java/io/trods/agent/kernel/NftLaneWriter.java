package io.trods.agent.kernel;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.trods.agent.engine.FastPath;
import io.trods.agent.netlink.NetlinkBuffer;
import io.trods.agent.netlink.NetlinkException;
import io.trods.agent.netlink.NftSetElements;
import java.io.Closeable;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the engine's lanes into the kernel: the elements of {@link FastPathRules}' sets, written
 * over an nf_tables netlink socket of its own. The engine's calls only enqueue (the packet thread
 * never waits for the kernel); one thread drains the queue and writes everything it found in one
 * transaction. If that transaction fails (typically: removing an element that has already
 * expired, which fails the whole batch with ENOENT), each element is written again on its own, so
 * that one stale removal never loses the others; a removal of an absent element then counts as
 * done. A full queue drops the call and counts it: a lost lane only means its segments keep
 * crossing to Java, a lost removal is undone by the element's timeout.
 */
public final class NftLaneWriter implements FastPath, Closeable {

    private static final Logger log = LoggerFactory.getLogger(NftLaneWriter.class);
    private static final int BUFFER_BYTES = 1 << 20;
    /**
     * At most 3 element messages an operation: a batch stays far below the socket's buffers, and
     * so do the acknowledgements of all its messages (a batch of 512 operations once would not).
     */
    private static final int MAX_OPS_PER_BATCH = 64;
    private static final int ENOENT = 2;

    private enum Kind { STREAM, ZERO, END }

    private record Op(Kind kind, Lane lane) {
    }

    /** One element message: added to or deleted from one set. */
    private record Element(boolean add, String set, int address, int port, int first, int last, boolean hasValue,
            int value) {
    }

    private final int fd;
    private final long timeoutMillis;
    private final BlockingQueue<Op> queue;
    private final ByteBuffer out = ByteBuffer.allocateDirect(BUFFER_BYTES);
    private final long outAddress = Pointer.nativeValue(Native.getDirectBufferPointer(out));
    private final ByteBuffer in = ByteBuffer.allocateDirect(64 * 1024);
    private final long inAddress = Pointer.nativeValue(Native.getDirectBufferPointer(in));
    private final NetlinkBuffer message = new NetlinkBuffer(BUFFER_BYTES);
    private final NetlinkBuffer replies = new NetlinkBuffer(64 * 1024);
    /** Lanes with a zero-window element: only those have one to remove. Writer thread only. */
    private final Set<Lane> zeroed = new HashSet<>();
    private final AtomicLong added = new AtomicLong();
    private final AtomicLong ended = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final Thread writer;
    private volatile boolean running = true;
    private int seq = 1;

    private NftLaneWriter(int fd, Duration elementTimeout, int queueCapacity) {
        this.fd = fd;
        this.timeoutMillis = elementTimeout.toMillis();
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.writer = new Thread(this::run, "trods-fastpath");
        this.writer.setDaemon(true);
    }

    /**
     * Opens the netlink socket in the calling thread's network namespace and starts the writer.
     *
     * @param elementTimeout how long the kernel keeps an element nobody removed
     */
    public static NftLaneWriter open(Duration elementTimeout, int queueCapacity) throws KernelCallException {
        int fd = LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, LibC.NETLINK_NETFILTER);
        if (fd < 0) {
            throw KernelCallException.last("socket(AF_NETLINK, NETLINK_NETFILTER)");
        }
        byte[] local = new byte[12];
        local[0] = (byte) LibC.AF_NETLINK;
        int[] oneSecond = {1, 0, 0, 0};
        // NETLINK_CAP_ACK: acknowledgements without a copy of the request; and room to spare.
        if (LibC.bind(fd, local, local.length) < 0
                || LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVTIMEO, oneSecond, 16) < 0
                || LibC.setsockopt(fd, LibC.SOL_NETLINK, LibC.NETLINK_CAP_ACK, new int[] {1}, 4) < 0
                || LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, new int[] {1 << 20}, 4) < 0
                || LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_SNDBUFFORCE, new int[] {1 << 20}, 4) < 0) {
            KernelCallException cause = KernelCallException.last("bind/setsockopt(nf_tables socket)");
            LibC.close(fd);
            throw cause;
        }
        NftLaneWriter writer = new NftLaneWriter(fd, elementTimeout, queueCapacity);
        writer.writer.start();
        return writer;
    }

    @Override
    public void stream(Lane lane) {
        offer(new Op(Kind.STREAM, lane));
    }

    @Override
    public void zeroWindow(Lane lane) {
        offer(new Op(Kind.ZERO, lane));
    }

    @Override
    public void end(Lane lane) {
        offer(new Op(Kind.END, lane));
    }

    private void offer(Op op) {
        if (!running || !queue.offer(op)) {
            dropped.incrementAndGet();
        }
    }

    public long lanesAdded() {
        return added.get();
    }

    public long lanesEnded() {
        return ended.get();
    }

    /** Elements the kernel refused even on their own (removals of absent ones not counted). */
    public long failures() {
        return failures.get();
    }

    /** Calls dropped because the queue was full or the writer closed. */
    public long dropped() {
        return dropped.get();
    }

    /** Operations waiting for the writer. */
    public int pending() {
        return queue.size();
    }

    private void run() {
        List<Op> ops = new ArrayList<>();
        while (running) {
            try {
                Op first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                ops.clear();
                ops.add(first);
                queue.drainTo(ops, MAX_OPS_PER_BATCH - 1);
                write(ops);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException | KernelCallException e) {
                failures.incrementAndGet();
                log.warn("fast path: writing lanes failed: {}", e.getMessage());
            }
        }
    }

    private void write(List<Op> ops) throws KernelCallException {
        List<Element> elements = new ArrayList<>();
        for (Op op : ops) {
            elementsOf(op, elements);
        }
        if (elements.isEmpty()) {
            return;
        }
        if (!transaction(elements, false)) {
            for (Element element : elements) {
                if (!transaction(List.of(element), true)) {
                    failures.incrementAndGet();
                }
            }
        }
    }

    private void elementsOf(Op op, List<Element> into) {
        Lane lane = op.lane();
        switch (op.kind()) {
            case STREAM -> {
                range(into, true, FastPathRules.CAPS, lane, lane.seqFirst(), lane.seqLast(), true, lane.cappedAck());
                range(into, true, FastPathRules.ACKS, lane, lane.ackFirst(), lane.ackLast(), false, 0);
                added.incrementAndGet();
            }
            case ZERO -> {
                if (zeroed.add(lane)) {
                    range(into, true, FastPathRules.ZERO, lane, lane.seqFirst(), lane.seqLast(), false, 0);
                }
            }
            case END -> {
                range(into, false, FastPathRules.CAPS, lane, lane.seqFirst(), lane.seqLast(), true, 0);
                range(into, false, FastPathRules.ACKS, lane, lane.ackFirst(), lane.ackLast(), false, 0);
                if (zeroed.remove(lane)) {
                    range(into, false, FastPathRules.ZERO, lane, lane.seqFirst(), lane.seqLast(), false, 0);
                }
                ended.incrementAndGet();
            }
        }
    }

    /** One interval of one set; the codec makes two elements of a range that wraps past 2^32. */
    private static void range(List<Element> into, boolean add, String set, Lane lane, int first, int last,
            boolean hasValue, int value) {
        into.add(new Element(add, set, lane.clientAddress(), lane.clientPort(), first, last, hasValue, value));
    }

    /**
     * Writes the elements in one batch and waits for the kernel's answer to each.
     *
     * @param absentIsDone a removal the kernel answers with ENOENT counts as done (alone in its batch)
     * @return whether the kernel applied the batch
     */
    private boolean transaction(List<Element> elements, boolean absentIsDone) throws KernelCallException {
        message.clear();
        int firstSeq = seq;
        NftSetElements.beginBatch(message, seq++);
        for (Element e : elements) {
            if (e.add()) {
                NftSetElements.add(message, seq++, FastPathRules.TABLE, e.set(), e.address(), e.port(), e.first(),
                        e.last(), e.hasValue(), e.value(), timeoutMillis);
            } else {
                NftSetElements.delete(message, seq++, FastPathRules.TABLE, e.set(), e.address(), e.port(), e.first(),
                        e.last());
            }
        }
        NftSetElements.endBatch(message, seq++);
        out.clear();
        out.put(message.array(), 0, message.length());
        if (LibC.send(fd, outAddress, message.length(), 0) < 0) {
            throw KernelCallException.last("send(nf_tables batch)");
        }
        int awaited = elements.size();
        boolean ok = true;
        while (awaited > 0) {
            long n = LibC.recv(fd, inAddress, in.capacity(), 0);
            if (n < 0) {
                int errno = Native.getLastError();
                if (errno == LibC.EINTR) {
                    continue;
                }
                throw new KernelCallException("recv(nf_tables): " + awaited + " answers missing", errno);
            }
            in.clear();
            in.get(replies.array(), 0, (int) n);
            Answers answers = new Answers(firstSeq, seq, absentIsDone && !elements.get(0).add());
            try {
                NftSetElements.parseAcks(replies, (int) n, answers);
            } catch (NetlinkException e) {
                throw new KernelCallException("nf_tables answer: " + e.getMessage(), 0);
            }
            awaited -= answers.count;
            ok &= !answers.refused;
        }
        return ok;
    }

    /** The kernel's answers to the element messages of one batch (sequence numbers after firstSeq, before end). */
    private static final class Answers implements NftSetElements.AckSink {
        private final int firstSeq;
        private final int end;
        private final boolean absentIsDone;
        int count;
        boolean refused;

        Answers(int firstSeq, int end, boolean absentIsDone) {
            this.firstSeq = firstSeq;
            this.end = end;
            this.absentIsDone = absentIsDone;
        }

        @Override
        public void ack(int seq, int errno) {
            if (seq > firstSeq && seq < end) {
                count++;
                refused |= errno != 0 && !(absentIsDone && errno == ENOENT);
            }
        }
    }

    /** Stops the writer (what is still queued is dropped: the table goes with the agent) and closes. */
    @Override
    public synchronized void close() {
        if (!running) {
            return;
        }
        running = false;
        writer.interrupt();
        try {
            writer.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LibC.close(fd);
    }
}
