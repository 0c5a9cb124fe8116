package io.trods.agent.datapath;

import io.trods.agent.engine.FlowEngine;
import io.trods.agent.flow.FlowStore;
import io.trods.agent.kernel.InterceptionRules;
import io.trods.agent.kernel.KernelCallException;
import io.trods.agent.kernel.NfQueueSocket;
import io.trods.agent.netlink.NetlinkBuffer;
import io.trods.agent.netlink.NetlinkException;
import io.trods.agent.netlink.Nfqueue;
import io.trods.agent.netlink.QueuedPacket;
import io.trods.agent.packet.TcpSegment;
import io.trods.agent.pcap.PacketDump;
import io.trods.agent.recovery.Recoverer;
import io.trods.agent.engine.TrackedFlow;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's one packet thread: receives queued packets, asks the flow engine (normal queue) or
 * the recoverer (recovery queue), and sends each verdict back, with the rewritten packet when the
 * engine changed it. Anything unexpected ends in an accept: a fault of ours must not break a
 * connection that would otherwise work (BRIEF rule 4).
 */
public final class PacketLoop implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(PacketLoop.class);
    private static final int NF_INET_LOCAL_OUT = 3;
    /** This loop's verdict for a packet the recoverer holds (not one of the engine's). */
    private static final int LOOKUP_HOLD = -2;
    /** A held packet that was held again: no verdict yet. */
    private static final int KEPT = -3;

    private final NfQueueSocket socket;
    private final int recoveryQueue;
    private final FlowEngine engine;
    private final Recoverer recoverer;
    /** Where the engine's saves wait to be flushed together. */
    private final FlowStore store;
    /** The engine's record keeper on this thread, null when the engine has another. */
    private final PacketThreadKeeper keeper;
    private final long idleNanos;
    /** Batches received since the store's first unflushed command. */
    private int packetsSinceUnflushed;
    /** The debug dump, null when off (the default): then one null check per packet is all it costs. */
    private final PacketDump dump;
    private final NetlinkBuffer in = new NetlinkBuffer(NfQueueSocket.BUFFER_BYTES);
    private final NetlinkBuffer out = new NetlinkBuffer(NfQueueSocket.BUFFER_BYTES + 256);
    private final QueuedPacket packet = new QueuedPacket();
    private final TcpSegment segment = new TcpSegment();
    private final AtomicLong packets = new AtomicLong();
    private final AtomicLong faults = new AtomicLong();
    private final PacketIdGaps normalIds = new PacketIdGaps();
    private final PacketIdGaps recoveryIds = new PacketIdGaps();
    private final PacketIdGaps logSeqs = new PacketIdGaps();
    private volatile boolean running = true;
    /** The thread running this loop. */
    private volatile Thread loopThread;
    /** How long one wait for packets or answers lasts: the loop's periodic work runs at least this often. */
    static final int RECEIVE_TIMEOUT_MILLIS = 200;
    /** How long a wait lasts while saves wait for answers, which time out on this thread. */
    static final int ANSWER_CHECK_MILLIS = 10;
    /** Work other threads need done on this one (the flow table is not shared), run between packets. */
    private final Queue<Runnable> chores = new ConcurrentLinkedQueue<>();
    /** A wake-up is on its way to the packet thread and has not been acted on yet. */
    private final AtomicBoolean wakePending = new AtomicBoolean();
    /** Segments waiting for a save, by the engine's hold token, in the order they came. */
    private final Map<Long, List<Held>> held = new HashMap<>();
    /** Unknown flows' packets waiting for their store lookup, by the recoverer's token, in order. */
    private final Map<Long, List<Held>> heldForLookup = new HashMap<>();
    /**
     * Packets of one unknown flow kept while its lookup is on the wire, at most; more are dropped
     * (the client sends again), so that a slow store cannot make the queue hold a flood.
     */
    static final int MAX_HELD_PER_LOOKUP = 16;

    /** A copy of a held segment and what its verdict needs. */
    private record Held(int queue, int packetId, byte[] packet, int length, boolean checksumNotReady, int skbInfo) {
    }

    /** Held copies up to this size come from {@link #spareCopies} and go back to it once answered. */
    static final int POOLED_COPY_BYTES = 2048;
    /**
     * Buffers of answered held packets, for the next: a response's first segment is held for its
     * save, so without them every small response allocated a copy of its first segment.
     */
    private final java.util.ArrayDeque<byte[]> spareCopies = new java.util.ArrayDeque<>();
    private static final int MAX_SPARE_COPIES = 1024;

    /**
     * Saves started while packets keep coming are flushed once this many wait, not
     * later: under a steady stream the queue never runs dry, and they must not wait for it to.
     */
    static final int MAX_UNFLUSHED = 64;
    /**
     * Nor once this many packets were handled after the first of them: a queue that never runs
     * dry (a burst of packets) must not make a few saves wait for 64: each holds a response.
     */
    static final int MAX_PACKETS_BEFORE_FLUSH = 8;

    /**
     * @param store the store the engine and the recoverer use: its batched commands are flushed
     *     whenever the queue runs dry
     * @param keeper the engine's record keeper when it runs on this thread (its due work is sent
     *     here), or null
     * @param dump where to copy every queued packet (debugging), null for none
     */
    public PacketLoop(NfQueueSocket socket, int recoveryQueue, FlowEngine engine, Recoverer recoverer, FlowStore store,
            PacketThreadKeeper keeper, long idleFlowSeconds, PacketDump dump) {
        this.keeper = keeper;
        this.socket = socket;
        this.store = store;
        this.dump = dump;
        this.recoveryQueue = recoveryQueue;
        this.engine = engine;
        this.recoverer = recoverer;
        this.idleNanos = TimeUnit.SECONDS.toNanos(idleFlowSeconds);
    }

    public long packets() {
        return packets.get();
    }

    public long faults() {
        return faults.get();
    }

    /**
     * Packets the kernel numbered for this agent's queues but never delivered: with the fail-open
     * flag, a packet that finds the queue full, or this socket's receive buffer full, is accepted
     * without asking. It then overtakes the packets still queued (the client sees it out of order)
     * and, for a response's segment, leaves unrewritten. Counted from gaps in the packet ids,
     * which the kernel assigns per queue in sequence.
     */
    public long unseen() {
        return normalIds.missed() + recoveryIds.missed();
    }

    /**
     * Copies of logged packets (handshakes) the kernel could not deliver (this socket's receive
     * buffer was full), from gaps in their numbers. Their packets went on; their connections pass
     * unprotected, since the engine never saw them open.
     */
    public long copiesMissed() {
        return logSeqs.missed();
    }


    public boolean running() {
        return running;
    }

    public void stop() {
        running = false;
    }

    /**
     * A page of the engine's tracked flows, copied on the packet thread; completes within the queue
     * socket's receive timeout even when no packet comes.
     */
    public CompletableFuture<FlowPage> trackedFlows(int offset, int limit) {
        CompletableFuture<FlowPage> page = new CompletableFuture<>();
        if (!running) {
            page.completeExceptionally(new IllegalStateException("the packet loop is not running"));
            return page;
        }
        chores.add(() -> page.complete(new FlowPage(engine.trackedFlows(), engine.trackedFlows(offset, limit))));
        return page;
    }

    /** A page of tracked flows and how many there are in all. */
    public record FlowPage(int total, List<TrackedFlow> flows) {}

    @Override
    public void run() {
        loopThread = Thread.currentThread();
        long nextSweep = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (running) {
            try {
                // Blocks only when nothing waits to be flushed; otherwise an empty queue answers at
                // once, and the saves of this drain go out together (below).
                long nextDue = keeper == null ? -1 : keeper.sendDue();
                boolean flushPending = store.unflushed() > 0;
                int n = receive(flushPending, nextDue);
                if (flushPending && (n == 0 || ++packetsSinceUnflushed >= MAX_PACKETS_BEFORE_FLUSH
                        || store.unflushed() >= MAX_UNFLUSHED)) {
                    packetsSinceUnflushed = 0;
                    flushStore();
                }
                for (int at = 0; at < n; ) {
                    int next = Nfqueue.messageEnd(in, at, n);
                    try {
                        Nfqueue.parse(in, at, n, packet);
                        if (packet.kind == QueuedPacket.Kind.PACKET) {
                            handle();
                        } else if (packet.kind == QueuedPacket.Kind.LOGGED) {
                            observe();
                        }
                    } catch (NetlinkException e) {
                        // One refused or malformed message: the batch's other packets still get
                        // their verdicts (unanswered, they would stay queued).
                        faults.incrementAndGet();
                        log.warn("message from the kernel not handled: {}", e.getMessage());
                    }
                    if (next < 0) {
                        break; // a broken header: nothing after it can be found
                    }
                    at = next;
                }
            } catch (KernelCallException e) {
                if (running) {
                    faults.incrementAndGet();
                    log.error("the queue socket failed; interception stops (traffic bypasses the agent)", e);
                    running = false;
                }
            }
            wakePending.set(false);
            for (Runnable chore; (chore = chores.poll()) != null; ) {
                chore.run();
            }
            if (System.nanoTime() - nextSweep > 0) {
                engine.sweep(idleNanos);
                nextSweep = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            }
        }
    }

    /**
     * The next batch of queued packets: blocking only when nothing waits to be flushed. When the
     * store's answers come on a socket of its own that this thread reads ({@link FlowStore#answerFd}),
     * it waits on both, and reads the answers whenever saves wait for them: no other thread is
     * woken to read them and then to wake this one.
     */
    private int receive(boolean flushPending, long nextDueNanos) throws KernelCallException {
        int answers = store.answerFd();
        if (answers < 0) {
            return socket.receive(in, !flushPending);
        }
        int n = socket.receive(in, false);
        if (n == 0 && !flushPending) {
            // Waiting saves time out on this thread: it looks at them at least every few milliseconds.
            int wait = store.awaitingAnswers() ? ANSWER_CHECK_MILLIS : RECEIVE_TIMEOUT_MILLIS;
            if (nextDueNanos >= 0) { // a handshake's record is due then
                wait = (int) Math.min(wait, Math.max(1, (nextDueNanos + 999_999) / 1_000_000));
            }
            if ((socket.await(answers, wait) & NfQueueSocket.QUEUE_READY) != 0) {
                n = socket.receive(in, false);
            }
        }
        if (store.awaitingAnswers()) {
            readAnswers();
        }
        return n;
    }

    private void readAnswers() {
        try {
            store.readAnswers();
        } catch (RuntimeException e) {
            faults.incrementAndGet();
            log.warn("reading the store's answers failed: {}", e.getMessage());
        }
    }

    /** Sends the saves started so far; a store that fails here fails those saves, not this thread. */
    private void flushStore() {
        try {
            store.flush();
        } catch (RuntimeException e) {
            faults.incrementAndGet();
            log.warn("flushing the saves failed (they time out and their responses pass unprotected): {}",
                    e.getMessage());
        }
    }

    private void handle() throws KernelCallException {
        packets.incrementAndGet();
        (packet.queue == recoveryQueue ? recoveryIds : normalIds).received(packet.packetId);
        if (dump != null) {
            dumpPacket(); // as queued: before the engine rewrites it in place
        }
        int verdict = FlowEngine.PASS;
        try {
            if (segment.wrap(in.array(), packet.payloadOffset, packet.payloadLength)) {
                if (packet.queue == recoveryQueue) {
                    verdict = recoveryVerdict(recoverer.onUnknownFlow(segment));
                } else if (packet.hook == NF_INET_LOCAL_OUT) {
                    verdict = engine.onServerSegment(segment, packet.checksumNotReady());
                } else {
                    verdict = engine.onClientSegment(segment);
                }
            }
        } catch (RuntimeException e) {
            faults.incrementAndGet();
            log.error("fault on a packet of queue {}; accepting it unchanged", packet.queue, e);
            verdict = FlowEngine.PASS;
        }
        if (verdict == LOOKUP_HOLD) {
            Held copy = heldCopy();
            verdict = holdForLookup(copy);
            if (verdict == LOOKUP_HOLD) {
                return;
            }
            recycle(copy); // not kept: answered from the receive buffer below
        } else if (verdict == FlowEngine.HOLD) {
            hold(heldCopy());
            return;
        }
        answer(verdict, packet.queue, packet.packetId, in.array(), packet.payloadOffset, packet.payloadLength,
                packet.checksumNotReady(), packet.skbInfo);
    }

    /**
     * A logged packet's copy: the packet itself already went on, so the engine only learns from it.
     * The rules log only what never needs a verdict: handshakes (a SYN opens a flow, a SYN-ACK
     * completes its options) and a client's packets on a connection the agent did not recreate
     * (requests and ACKs; letting such a flow go takes effect at the server's next segment, which
     * is queued). A rewrite asked for here could not be made, and is counted as a fault.
     */
    private void observe() {
        logSeqs.received(packet.packetId);
        if (dump != null) {
            dumpPacket();
        }
        try {
            if (segment.wrap(in.array(), packet.payloadOffset, packet.payloadLength)) {
                int verdict = packet.hook == NF_INET_LOCAL_OUT ? engine.onServerSegment(segment, false)
                        : engine.onClientSegment(segment);
                if (verdict == FlowEngine.PASS_REWRITTEN) {
                    faults.incrementAndGet();
                    log.warn("the engine rewrote a logged packet (ports {} to {}); it left unchanged",
                            segment.srcPort(), segment.dstPort());
                }
            }
        } catch (RuntimeException e) {
            faults.incrementAndGet();
            log.error("fault on a logged packet of group {}", packet.queue, e);
        }
    }

    /**
     * Keeps a segment the engine holds for a save, unanswered (the kernel keeps the packet); the
     * first of a save also has the save's completion call {@link #release} on this thread, woken
     * up at once through the queue socket.
     */
    private void hold(Held segment) {
        waitingList(held, engine.heldUnder(), engine::pendingSave, this::release).add(segment);
    }

    /** A save has settled: the engine learns how, then decides on the held segments, in order. */
    private void release(long token) {
        engine.saveSettled(token);
        answerHeld(held.remove(token), "held for a save", h -> {
            int verdict = engine.onServerSegment(segment, h.checksumNotReady());
            if (verdict == FlowEngine.HOLD) {
                hold(h); // held again, behind another save of its connection
                return KEPT;
            }
            return verdict;
        });
    }

    /**
     * The list of packets waiting under a token; a new list's completion (the save or the lookup
     * it waits for) queues {@code release} for this thread and wakes it.
     */
    private List<Held> waitingList(Map<Long, List<Held>> lists, long token,
            java.util.function.LongFunction<CompletableFuture<?>> pending, java.util.function.LongConsumer release) {
        List<Held> waiting = lists.get(token);
        if (waiting == null) {
            waiting = new ArrayList<>(2);
            lists.put(token, waiting);
            CompletableFuture<?> completion = pending.apply(token);
            if (completion == null) {
                chores.add(() -> release.accept(token));
            } else {
                completion.whenComplete((done, failure) -> {
                    chores.add(() -> release.accept(token));
                    wake();
                });
            }
        }
        return waiting;
    }

    /**
     * Wakes the packet thread unless a wake is already on its way: under load many saves complete
     * between two turns of the loop, and one netlink round trip serves them all. The loop clears
     * the flag before it runs the chores, so a chore added after that sends a wake of its own.
     */
    private void wake() {
        if (Thread.currentThread() == loopThread) {
            return; // completed by this thread (the store's answers read here): its chores run next
        }
        if (wakePending.compareAndSet(false, true)) {
            socket.wakeUp();
        }
    }

    /** A copy of the packet just received, kept until its verdict, in a spare buffer when one fits. */
    private Held heldCopy() {
        int length = packet.payloadLength;
        byte[] copy = length <= POOLED_COPY_BYTES
                ? (spareCopies.isEmpty() ? new byte[POOLED_COPY_BYTES] : spareCopies.pop())
                : new byte[length];
        System.arraycopy(in.array(), packet.payloadOffset, copy, 0, length);
        return new Held(packet.queue, packet.packetId, copy, length, packet.checksumNotReady(), packet.skbInfo);
    }

    private void recycle(Held answered) {
        if (answered.packet().length == POOLED_COPY_BYTES && spareCopies.size() < MAX_SPARE_COPIES) {
            spareCopies.push(answered.packet());
        }
    }

    /** Decides on a held packet (wrapped in {@link #segment}): a verdict, or {@link #KEPT}. */
    private interface HeldDecision {
        int decide(Held packet);
    }

    /** Sends the verdicts of packets that were held, in order, as {@code decision} gives them. */
    private void answerHeld(List<Held> waiting, String what, HeldDecision decision) {
        if (waiting == null) {
            return;
        }
        for (Held h : waiting) {
            int verdict = FlowEngine.PASS;
            try {
                if (segment.wrap(h.packet(), 0, h.length())) {
                    verdict = decision.decide(h);
                }
            } catch (RuntimeException e) {
                faults.incrementAndGet();
                log.error("fault on a packet {}; accepting it unchanged", what, e);
                verdict = FlowEngine.PASS;
            }
            if (verdict == KEPT) {
                continue;
            }
            try {
                answer(verdict, h.queue(), h.packetId(), h.packet(), 0, h.length(), h.checksumNotReady(),
                        h.skbInfo());
            } catch (KernelCallException e) {
                faults.incrementAndGet();
                log.warn("verdict of a held packet failed: {}", e.getMessage());
            }
            recycle(h); // the kernel copied the verdict's packet: the buffer is free
        }
    }

    /** The recoverer's answer as a verdict of this loop. */
    private static int recoveryVerdict(int answer) {
        return switch (answer) {
            case Recoverer.DROP -> -1;
            case Recoverer.HOLD -> LOOKUP_HOLD;
            default -> FlowEngine.PASS;
        };
    }

    /**
     * Keeps an unknown flow's packet while the recoverer looks its record up; the first packet of
     * a lookup has the answer call {@link #releaseLookup} on this thread. Returns
     * {@link #LOOKUP_HOLD} when kept, or the drop verdict when the flow has too many waiting.
     */
    private int holdForLookup(Held packet) {
        List<Held> waiting = waitingList(heldForLookup, recoverer.heldUnder(), recoverer::pendingLookup,
                this::releaseLookup);
        if (waiting.size() >= MAX_HELD_PER_LOOKUP) {
            return -1;
        }
        waiting.add(packet);
        return LOOKUP_HOLD;
    }

    /** A lookup has its answer: the recoverer decides on the flow's held packets, in order. */
    private void releaseLookup(long token) {
        recoverer.lookupSettled(token);
        answerHeld(heldForLookup.remove(token), "held for a lookup", h -> {
            int verdict = recoveryVerdict(recoverer.onUnknownFlow(segment));
            if (verdict == LOOKUP_HOLD) {
                verdict = holdForLookup(h); // behind a new lookup (the store failed the last one)
                return verdict == LOOKUP_HOLD ? KEPT : verdict;
            }
            return verdict;
        });
    }

    private void answer(int verdict, int queue, int packetId, byte[] bytes, int offset, int length,
            boolean checksumNotReady, int skbInfo) throws KernelCallException {
        if (verdict == FlowEngine.PASS_REWRITTEN && checksumNotReady && (skbInfo & Nfqueue.SKB_GSO) == 0) {
            segment.finishChecksum();
        }
        if (dump != null && verdict == FlowEngine.PASS_REWRITTEN) {
            dump.record(bytes, offset, length); // and as it leaves: the pair shows what the engine changed
        }
        out.clear();
        switch (verdict) {
            case FlowEngine.PASS_REWRITTEN -> Nfqueue.verdict(out, queue, packetId, Nfqueue.NF_ACCEPT, -1,
                    bytes, offset, length);
            // Marked and sent through the chain again, whose first rule copies the mark to the
            // connection: the rest of it skips the queues (this kernel cannot set conntrack marks
            // from a verdict: no CONFIG_NETFILTER_NETLINK_GLUE_CT).
            case FlowEngine.PASS_AND_FORGET -> Nfqueue.verdict(out, queue, packetId, Nfqueue.NF_REPEAT,
                    InterceptionRules.FORGOTTEN_MARK);
            case -1 -> Nfqueue.verdict(out, queue, packetId, Nfqueue.NF_DROP, -1);
            default -> Nfqueue.verdict(out, queue, packetId, Nfqueue.NF_ACCEPT, -1);
        }
        socket.send(out);
    }

    private void dumpPacket() {
        if (packet.payloadOffset >= 0) {
            dump.record(in.array(), packet.payloadOffset, packet.payloadLength);
        }
    }
}
