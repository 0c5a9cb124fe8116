package io.trods.agent.datapath;

import io.trods.agent.engine.PendingHandshake;
import io.trods.agent.engine.RecordKeeper;
import io.trods.agent.flow.FlowKey;
import io.trods.agent.flow.FlowRecord;
import io.trods.agent.flow.FlowStore;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;

/**
 * The engine's {@link RecordKeeper} on the packet thread: handshakes' records and removals go on the
 * connection the packet thread drives ({@link FlowStore#queueHandshake}, {@link FlowStore#queueRemoval}),
 * in order with its saves and flushed with them. Through a background thread each new connection
 * woke that thread two or three times, and the Redis client's I/O thread for each command it sent
 * (measured with perf sched: about three and two wake-ups per new connection).
 *
 * <p>A handshake's record waits {@code delayNanos} here too, and the engine withdraws it if the
 * response is saved first ({@link PendingHandshake}). Whatever that connection cannot take (not
 * open, batch full) goes to {@code background}, the thread-based keeper, as before. A removal must
 * not overtake the handshake's record it follows, or the record outlives its connection until it
 * expires (seen right after an agent started: the first connection's handshake went through the
 * background while the connection opened, its removal directly, and arrived first). So a flow
 * whose handshake went to the background has its removal sent there too, behind it; and a removal
 * the open connection has no room for waits here for the room, behind what the batch holds.
 *
 * <p>Single-threaded: the packet thread only.
 */
public final class PacketThreadKeeper implements RecordKeeper {

    private final FlowStore store;
    private final RecordKeeper background;
    private final long delayNanos;
    private final LongSupplier nanoClock;
    private final BiConsumer<FlowKey, RuntimeException> failed;
    private final ArrayDeque<Due> waiting = new ArrayDeque<>();
    private final ArrayDeque<Removal> deferred = new ArrayDeque<>();
    /** Flows whose handshake went to the background, oldest first. */
    private final Map<FlowKey, PendingHandshake> inBackground = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<FlowKey, PendingHandshake> eldest) {
            return size() > MAX_IN_BACKGROUND;
        }
    };
    private final AtomicLong withdrawn = new AtomicLong();

    private record Due(FlowRecord record, PendingHandshake pending, long dueNanos) {
    }

    private record Removal(FlowKey key, String server, boolean afterReset) {
    }

    /** Removals waiting here for room on the connection; beyond this they go to the background. */
    static final int MAX_DEFERRED = 65_536;
    /** Flows remembered as having their handshake in the background; the oldest is forgotten beyond this. */
    static final int MAX_IN_BACKGROUND = 65_536;
    /** How soon the loop comes back for removals that wait for room. */
    static final long DEFERRED_RETRY_NANOS = 1_000_000;

    /** @param failed told of every flow whose record work the store refused */
    public PacketThreadKeeper(FlowStore store, RecordKeeper background, long delayNanos, LongSupplier nanoClock,
            BiConsumer<FlowKey, RuntimeException> failed) {
        this.store = store;
        this.background = background;
        this.delayNanos = delayNanos;
        this.nanoClock = nanoClock;
        this.failed = failed;
    }

    @Override
    public PendingHandshake saveHandshake(FlowRecord record) {
        if (store.answerFd() < 0) {
            return toBackground(record);
        }
        PendingHandshake pending = new PendingHandshake();
        waiting.add(new Due(record, pending, nanoClock.getAsLong() + delayNanos));
        return pending;
    }

    @Override
    public void delete(FlowKey key, String server) {
        delete(key, server, false);
    }

    @Override
    public void delete(FlowKey key, String server, boolean afterReset) {
        Removal removal = new Removal(key, server, afterReset);
        if (inBackground.remove(removal.key()) != null) {
            toBackground(removal); // behind its handshake's record, which may still be on its way
        } else if (!deferred.isEmpty() || !tryDirect(removal)) {
            defer(removal);
        }
    }

    private void toBackground(Removal removal) {
        background.delete(removal.key(), removal.server(), removal.afterReset());
    }

    /** False if the open connection has no room for it now (when it is not open, the background takes it). */
    private boolean tryDirect(Removal removal) {
        if (store.answerFd() < 0) {
            // Nothing on the connection can be overtaken: a broken one failed what it held.
            toBackground(removal);
            return true;
        }
        CompletableFuture<Void> queued = store.queueRemoval(removal.key(), removal.server(), removal.afterReset());
        if (queued == null) {
            return false;
        }
        reportFailure(removal.key(), queued);
        return true;
    }

    private void defer(Removal removal) {
        if (deferred.size() >= MAX_DEFERRED) {
            toBackground(removal); // may overtake: the record then expires
            return;
        }
        deferred.add(removal);
    }

    /** Sends the removals that waited for room, in order, as far as the connection takes them. */
    private void sendDeferred() {
        for (Removal removal; (removal = deferred.peek()) != null; ) {
            if (!tryDirect(removal)) {
                return;
            }
            deferred.poll();
        }
    }

    /**
     * Sends the handshakes' records now due that the engine has not withdrawn, after the removals
     * that waited for room.
     *
     * @return nanoseconds until the next one is due (or removals are tried again), or -1 when none waits
     */
    public long sendDue() {
        sendDeferred();
        long retry = deferred.isEmpty() ? -1 : DEFERRED_RETRY_NANOS;
        long now = nanoClock.getAsLong();
        for (Due due; (due = waiting.peek()) != null; ) {
            long left = due.dueNanos() - now;
            if (left > 0 && !due.pending().withdrawn()) {
                return retry < 0 ? left : Math.min(left, retry); // (one withdrawn goes now: no wake-up is spent on it)
            }
            waiting.poll();
            if (!due.pending().claim()) {
                withdrawn.incrementAndGet();
                continue;
            }
            FlowRecord record = due.record();
            CompletableFuture<Void> queued = store.queueHandshake(record);
            if (queued == null) {
                toBackground(record); // the engine holds the claimed handle: its removal will come
            } else {
                reportFailure(record.key(), queued);
            }
        }
        return retry;
    }

    private PendingHandshake toBackground(FlowRecord record) {
        // Withdrawn ones get no removal: the oldest of them make room (the bound handles the rest).
        for (var oldest = inBackground.values().iterator(); oldest.hasNext() && oldest.next().withdrawn(); ) {
            oldest.remove();
        }
        PendingHandshake pending = background.saveHandshake(record);
        inBackground.put(record.key(), pending);
        return pending;
    }

    private void reportFailure(FlowKey key, CompletableFuture<Void> queued) {
        queued.whenComplete((done, failure) -> {
            if (failure != null) {
                failed.accept(key, failure instanceof RuntimeException r ? r : new IllegalStateException(failure));
            }
        });
    }

    /** Handshakes' records withdrawn here before they were sent. */
    public long withdrawn() {
        return withdrawn.get();
    }

    /** Removals waiting here for room on the connection. */
    public int deferred() {
        return deferred.size();
    }

    /** Handshakes' records waiting here. */
    public int waiting() {
        return waiting.size();
    }
}
