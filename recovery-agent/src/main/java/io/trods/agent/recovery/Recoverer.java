package io.trods.agent.recovery;

import io.trods.agent.engine.FlowEngine;
import io.trods.agent.engine.RecoveryPlan;
import io.trods.agent.flow.FlowKey;
import io.trods.agent.flow.FlowRecord;
import io.trods.agent.flow.FlowStore;
import io.trods.agent.flow.StoreUnavailableException;
import io.trods.agent.kernel.Ipv4;
import io.trods.agent.kernel.KernelCallException;
import io.trods.agent.kernel.RepairSpec;
import io.trods.agent.kernel.RepairedConnection;
import io.trods.agent.kernel.TcpRepair;
import io.trods.agent.packet.TcpOptions;
import io.trods.agent.packet.TcpSegment;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first packet of a connection that no local socket knows: a failed server's client, routed
 * here by the balancer. With a saved record and a consistent plan, recreate the client's connection
 * in this kernel (TCP_REPAIR), hand it to the flow engine as protected, and let a worker stream the
 * rest of the object into it from the local web server; the packet itself is then accepted and the
 * new socket receives it. Without a record, the kernel answers as it would (RST): cheaply, since a
 * miss is remembered and lookups are rate-limited, so that unknown packets cannot make this server
 * query the store or open connections for anyone who asks. Runs on the queue thread.
 */
public final class Recoverer {

    /** Accept: the kernel handles the packet (a reset, or the recreated socket receives it). */
    public static final int ACCEPT = 0;
    /** Drop: the client will send again. */
    public static final int DROP = 1;
    /**
     * Hold: leave the packet queued, unanswered, until the flow's store lookup has an answer
     * ({@link #heldUnder}, {@link #pendingLookup}, {@link #lookupSettled}); then decide again.
     */
    public static final int HOLD = 2;

    private static final Logger log = LoggerFactory.getLogger(Recoverer.class);

    /** What happened to one unknown packet, for metrics. */
    public enum Outcome {
        RECOVERED, ALREADY_RECOVERED, NO_RECORD, REFUSED, REMEMBERED_MISS, RATE_LIMITED, STORE_UNAVAILABLE, FAILED,
        /** The store did not answer (or too many lookups wait for it): dropped, the client's next packet tries again. */
        RETRY_LATER
    }

    /** Recreates the client's connection in this kernel: {@link TcpRepair#recreate} for real. */
    @FunctionalInterface
    public interface Recreator {
        RepairedConnection recreate(RepairSpec spec) throws KernelCallException;
    }

    /** A lookup in flight, and when the first packet of its flow arrived. */
    private static final class Lookup {
        final long start;
        final CompletableFuture<Optional<FlowRecord>> future;
        boolean settled;
        /** When the store answered (on its thread): the rest of the lookup's time is this thread's. */
        volatile long answeredAt;

        Lookup(long start, CompletableFuture<Optional<FlowRecord>> future, LongSupplier clock) {
            this.start = start;
            this.future = future;
            future.whenComplete((record, failure) -> answeredAt = clock.getAsLong());
        }

        /** Microseconds from the first packet to the store's answer. */
        long answerMicros() {
            long answered = answeredAt;
            return answered == 0 ? -1 : (answered - start) / 1000;
        }
    }

    /** Hears about outcomes. */
    public interface Listener {
        void outcome(FlowKey key, Outcome outcome, long nanos);
    }

    private final FlowStore store;
    private final FlowEngine engine;
    private final String serverId;
    /** Where workers are started: a {@link WorkerLauncher}, so that the packet thread never starts a thread. */
    private final Executor workers;
    /** Recovered flows whose worker never started: the engine forgets them on the packet thread. */
    private final java.util.Queue<FlowKey> unstarted = new ConcurrentLinkedQueue<>();
    private final Splicer splicer;
    private final Listener listener;
    private final LongSupplier nanoClock;
    private final TcpOptions options = new TcpOptions();
    private final Map<FlowKey, ActiveRecovery> active = new ConcurrentHashMap<>();
    private final long missMemoryNanos;
    private final Map<Long, Long> recentMisses = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Long> eldest) {
            return size() > 65536;
        }
    };
    /** Store lookups on the wire, by flow; settled on the packet thread when the answer is there. */
    private final Map<Long, Lookup> lookups = new HashMap<>();
    private final int maxPendingLookups;
    private long heldUnder;
    private final Recreator recreator;
    private final LookupRetries retries;
    private final double lookupsPerNano;
    private final double lookupBurst;
    private double lookupTokens;
    private long lastRefill;

    public Recoverer(FlowStore store, FlowEngine engine, String serverId, Executor workers, Splicer splicer,
            Listener listener, LongSupplier nanoClock, int lookupsPerSecond, long missMemoryMillis,
            LookupRetries retries) {
        this(store, engine, serverId, workers, splicer, listener, nanoClock, lookupsPerSecond, missMemoryMillis,
                retries, TcpRepair::recreate);
    }

    /**
     * @param retries which failed lookups are tried again with the client's next packet
     * @param recreator how connections are recreated (the kernel's TCP_REPAIR; a fake in unit tests)
     */
    public Recoverer(FlowStore store, FlowEngine engine, String serverId, Executor workers, Splicer splicer,
            Listener listener, LongSupplier nanoClock, int lookupsPerSecond, long missMemoryMillis,
            LookupRetries retries, Recreator recreator) {
        this.recreator = recreator;
        this.retries = retries;
        // At most a second's worth of lookups on the wire: a store that stops answering cannot make
        // this server hold more of the clients' packets than that.
        this.maxPendingLookups = Math.max(1, lookupsPerSecond);
        this.store = store;
        this.engine = engine;
        this.serverId = serverId;
        this.workers = workers;
        this.splicer = splicer;
        this.listener = listener;
        this.nanoClock = nanoClock;
        this.lookupsPerNano = lookupsPerSecond / 1e9;
        this.lookupBurst = Math.max(1, lookupsPerSecond / 10.0);
        this.lookupTokens = lookupBurst;
        this.missMemoryNanos = missMemoryMillis * 1_000_000L;
        this.lastRefill = nanoClock.getAsLong();
    }

    public int onUnknownFlow(TcpSegment seg) {
        for (FlowKey key; (key = unstarted.poll()) != null; ) {
            engine.abandon(key); // its connection is gone: a packet of it starts over, here
        }
        if (seg.has(TcpSegment.SYN)) {
            return ACCEPT;
        }
        if (seg.has(TcpSegment.RST) || !seg.has(TcpSegment.ACK)) {
            endTrackedFlow(seg);
            return ACCEPT;
        }
        long now = nanoClock.getAsLong();
        FlowKey key = FlowKey.ofClientSegment(seg);
        if (engine.tracks(key)) {
            // Queued before the connection was recreated (several of the client's packets can be on
            // their way at once): the new socket exists now and takes it. A FIN of it may come
            // here because its socket is gone: the engine must hear of it (see endTrackedFlow).
            if (seg.has(TcpSegment.FIN)) {
                engine.onClientSegment(seg);
            }
            listener.outcome(key, Outcome.ALREADY_RECOVERED, 0);
            return ACCEPT;
        }
        Long missedAt = recentMisses.get(key.packed());
        if (missedAt != null && now - missedAt < missMemoryNanos) {
            listener.outcome(key, Outcome.REMEMBERED_MISS, 0);
            return ACCEPT;
        }
        Lookup lookup = lookups.get(key.packed());
        if (lookup == null) {
            if (lookups.size() >= maxPendingLookups) {
                return lookupFailed(key, now, Outcome.RATE_LIMITED, 0); // the store is slow, not the client
            }
            if (!takeLookupToken(now)) {
                // A flood, or a failure larger than the budget: the kernel answers, as it would
                // without us (remembering the flow would hold memory for anyone who asks).
                listener.outcome(key, Outcome.RATE_LIMITED, 0);
                return ACCEPT;
            }
            lookup = new Lookup(now, store.findAsync(key), nanoClock);
            if (!lookup.future.isDone()) {
                // The packet thread does not wait for the store: this packet (and any other of the
                // flow that comes meanwhile) stays queued until the answer, while other flows'
                // lookups are on the wire together.
                lookups.put(key.packed(), lookup);
                heldUnder = key.packed();
                return HOLD;
            }
        } else if (!lookup.settled) {
            heldUnder = key.packed();
            return HOLD;
        } else {
            lookups.remove(key.packed());
        }
        long start = lookup.start;
        long looked = nanoClock.getAsLong();
        FlowRecord record;
        try {
            record = lookup.future.join().orElse(null);
        } catch (CompletionException | CancellationException e) {
            return lookupFailed(key, looked, Outcome.STORE_UNAVAILABLE, looked - start);
        }
        retries.answered(key.packed());
        if (record == null) {
            recentMisses.put(key.packed(), start);
            listener.outcome(key, Outcome.NO_RECORD, looked - start);
            return ACCEPT;
        }
        if (!options.parse(seg)) {
            listener.outcome(key, Outcome.REFUSED, nanoClock.getAsLong() - start);
            return ACCEPT;
        }
        if (record.request().length == 0) {
            return recoverBeforeRequest(record, record.requestStart(), record.responseStart(), false, seg, key, start);
        }
        int bodyEnd = RecoveryPlan.bodyEnd(record);
        if (bodyEnd != -1 && seg.ack() == bodyEnd) {
            // Idle between responses: the client has the whole response and its request was
            // acknowledged; its next request starts where the last one ended.
            return recoverBeforeRequest(record, record.requestEnd(), bodyEnd, true, seg, key, start);
        }
        RecoveryPlan plan;
        try {
            plan = RecoveryPlan.of(record, seg, options);
        } catch (RecoveryPlan.Refusal refusal) {
            log.info("not recovering {}: {}", key, refusal.getMessage());
            recentMisses.put(key.packed(), start);
            listener.outcome(key, Outcome.REFUSED, nanoClock.getAsLong() - start);
            return ACCEPT;
        }
        // The engine must know the flow before the new socket sends its first segment.
        engine.adopt(plan);
        RepairedConnection connection = recreate(key, spec(seg, plan), start);
        if (connection == null) {
            return ACCEPT;
        }
        long repaired = nanoClock.getAsLong();
        int verdict = handOver(key, record, connection, start, "download", c -> splicer.splice(plan, c));
        log.info("recovering {} from {}: object bytes {}-{} of {} (lookup {} us, answered at {} us, repair {} us, "
                + "handover {} us)", key, record.server(), plan.first(), plan.last(), plan.target(), (looked - start) / 1000,
                lookup.answerMicros(), (repaired - looked) / 1000, (nanoClock.getAsLong() - repaired) / 1000);
        return verdict;
    }

    /**
     * A FIN or RST of a flow the engine tracks, arriving here because no local socket has the
     * connection any more (the web server gave it up, say after its send timeout): the engine
     * must hear of the end, else it keeps the flow, and its record, until the idle sweep. The
     * kernel still gets the packet as it would have.
     */
    private void endTrackedFlow(TcpSegment seg) {
        if ((seg.has(TcpSegment.FIN) || seg.has(TcpSegment.RST)) && engine.tracks(FlowKey.ofClientSegment(seg))) {
            engine.onClientSegment(seg);
        }
    }

    /**
     * A connection recovered before a request: in the HTTP-setup phase (the failed server had the
     * request but had not answered it, so none of it was acknowledged and only the handshake's
     * record exists), or idle between two responses. The connection is recreated where the request
     * starts (the client sends it, again or for the first time, to the new socket) and is served by
     * relaying to the local web server.
     */
    private int recoverBeforeRequest(FlowRecord record, int requestStart, int expectedAck, boolean idle, TcpSegment seg,
            FlowKey key, long start) {
        if (seg.ack() != expectedAck || record.timestamps() && !options.hasTimestamp) {
            log.info("not recovering {} before its request: ACK {} instead of {}", key,
                    Integer.toUnsignedString(seg.ack()), Integer.toUnsignedString(expectedAck));
            recentMisses.put(key.packed(), start);
            listener.outcome(key, Outcome.REFUSED, nanoClock.getAsLong() - start);
            return ACCEPT;
        }
        boolean scaling = record.clientWindowScale() >= 0 && record.serverWindowScale() >= 0;
        RepairSpec spec = new RepairSpec(Ipv4.of(seg.dstAddress()), seg.dstPort(), Ipv4.of(seg.srcAddress()),
                seg.srcPort(), seg.ack(), requestStart, record.clientMss() > 0 ? record.clientMss() : 536,
                scaling ? record.clientWindowScale() : 0, scaling ? record.serverWindowScale() : 0,
                record.sackPermitted(), record.timestamps(), record.timestamps() ? options.tsEcr + 2 : 0,
                record.timestamps() ? options.tsVal : 0, seg.window());
        if (idle) {
            engine.adoptIdle(record, seg.ack());
        } else {
            engine.adoptSetup(record, seg.ack());
        }
        RepairedConnection connection = recreate(key, spec, start);
        if (connection == null) {
            return ACCEPT;
        }
        if (seg.payloadLength() > 0) {
            engine.onClientSegment(seg); // the request itself: the engine collects it as usual
        }
        log.info("recovering {} from {} {}: its request will be served here", key, record.server(),
                idle ? "between two responses" : "in its setup phase");
        return handOver(key, record, connection, start, idle ? "idle" : "setup", splicer::serveRequests);
    }

    /** The client's connection in this kernel, or null (reported, and forgotten by the engine). */
    private RepairedConnection recreate(FlowKey key, RepairSpec spec, long start) {
        try {
            return recreator.recreate(spec);
        } catch (KernelCallException | RuntimeException e) {
            engine.abandon(key);
            log.warn("recreating {} failed: {}", key, e.getMessage());
            listener.outcome(key, Outcome.FAILED, nanoClock.getAsLong() - start);
            return null;
        }
    }

    /**
     * Hands a recreated connection to a worker, which first re-indexes the record under this server
     * (so that a failure of this server finds the flow too) and then streams into it.
     */
    private int handOver(FlowKey key, FlowRecord record, RepairedConnection connection, long start, String phase,
            Consumer<RepairedConnection> stream) {
        ActiveRecovery recovery = new ActiveRecovery(key, record.server(), phase, System.currentTimeMillis());
        try {
            workers.execute(new WorkerLauncher.Launchable() {
                @Override
                public void run() {
                    active.put(key, recovery);
                    try {
                        store.moved(record.carriedBy(serverId, System.currentTimeMillis()), record.server());
                    } catch (StoreUnavailableException e) {
                        log.warn("could not re-index {}: {}", key, e.getMessage());
                    }
                    try {
                        stream.accept(connection);
                    } finally {
                        active.remove(key);
                    }
                }

                /** No worker after all (on the launcher's thread): as if recreating had failed. */
                @Override
                public void rejected() {
                    discardQuietly(connection);
                    unstarted.add(key);
                    listener.outcome(key, Outcome.FAILED, nanoClock.getAsLong() - start);
                }
            });
        } catch (RejectedExecutionException e) {
            engine.abandon(key);
            discardQuietly(connection);
            listener.outcome(key, Outcome.FAILED, nanoClock.getAsLong() - start);
            return DROP;
        }
        listener.outcome(key, Outcome.RECOVERED, nanoClock.getAsLong() - start);
        return ACCEPT;
    }

    /**
     * A lookup that could not be made or was not answered. Redis slow, failing over or restarting
     * for a moment must not cost a recoverable download its connection: the packet is dropped and
     * the client's next one (its retransmission, its answer to a follow-up prompt) tries again,
     * within {@link LookupRetries}' window; after it, the kernel answers, as it would without us.
     */
    private int lookupFailed(FlowKey key, long now, Outcome givenUp, long nanos) {
        if (retries.retryLater(key.packed(), now)) {
            listener.outcome(key, Outcome.RETRY_LATER, nanos);
            return DROP;
        }
        listener.outcome(key, givenUp, nanos);
        return ACCEPT;
    }

    /** The flow whose lookup the last {@link #HOLD} waits for. */
    public long heldUnder() {
        return heldUnder;
    }

    /** The lookup a {@link #HOLD} waits for; null when it is no longer pending. */
    public CompletableFuture<?> pendingLookup(long token) {
        Lookup lookup = lookups.get(token);
        return lookup == null ? null : lookup.future;
    }

    /**
     * A lookup has its answer (on the packet thread): the flow's held packets go through
     * {@link #onUnknownFlow} again, in order; the first of them uses the answer.
     */
    public void lookupSettled(long token) {
        Lookup lookup = lookups.get(token);
        if (lookup != null) {
            lookup.settled = true;
        }
    }

    /** Lookups on the wire, for health and tests. */
    public int pendingLookups() {
        return lookups.size();
    }

    /** The recoveries streaming right now, for the actuator (a snapshot; any thread). */
    public List<ActiveRecovery> activeRecoveries() {
        return List.copyOf(active.values());
    }

    private static RepairSpec spec(TcpSegment seg, RecoveryPlan plan) {
        FlowRecord record = plan.record();
        boolean scaling = record.clientWindowScale() >= 0 && record.serverWindowScale() >= 0;
        return new RepairSpec(Ipv4.of(seg.dstAddress()), seg.dstPort(), Ipv4.of(seg.srcAddress()), seg.srcPort(),
                plan.sendSeq(), plan.recvSeq(), record.clientMss() > 0 ? record.clientMss() : 536,
                scaling ? record.clientWindowScale() : 0, scaling ? record.serverWindowScale() : 0,
                record.sackPermitted(), record.timestamps(), plan.tsVal(), plan.tsEcr(), plan.peerWindow());
    }

    private boolean takeLookupToken(long now) {
        lookupTokens = Math.min(lookupBurst, lookupTokens + (now - lastRefill) * lookupsPerNano);
        lastRefill = now;
        if (lookupTokens < 1) {
            return false;
        }
        lookupTokens--;
        return true;
    }

    private static void discardQuietly(RepairedConnection connection) {
        try {
            connection.discard();
        } catch (KernelCallException ignored) {
            // nothing more to do: the client retransmits and the next packet gets another chance
        }
    }
}
