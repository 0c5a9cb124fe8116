package io.trods.agent.datapath;

import io.trods.agent.engine.PendingHandshake;
import io.trods.agent.engine.RecordKeeper;
import io.trods.agent.flow.FlowKey;
import io.trods.agent.flow.FlowRecord;
import io.trods.agent.flow.FlowStore;
import java.util.ArrayDeque;
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
 * open, batch full) goes to {@code background}, the thread-based keeper, as before. A removal then
 * sent on the other path may overtake a handshake's record sent on this one or the other way
 * round, only while the connection opens: the record is left to expire.
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
    private final AtomicLong withdrawn = new AtomicLong();

    private record Due(FlowRecord record, PendingHandshake pending, long dueNanos) {
    }

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
            return background.saveHandshake(record);
        }
        PendingHandshake pending = new PendingHandshake();
        waiting.add(new Due(record, pending, nanoClock.getAsLong() + delayNanos));
        return pending;
    }

    @Override
    public void delete(FlowKey key, String server) {
        watch(key, store.queueRemoval(key, server), () -> background.delete(key, server));
    }

    /**
     * Sends the handshakes' records now due that the engine has not withdrawn.
     *
     * @return nanoseconds until the next one is due, or -1 when none waits
     */
    public long sendDue() {
        long now = nanoClock.getAsLong();
        for (Due due; (due = waiting.peek()) != null; ) {
            long left = due.dueNanos() - now;
            if (left > 0 && !due.pending().withdrawn()) {
                return left; // (one already withdrawn goes now: no wake-up is spent on it)
            }
            waiting.poll();
            if (!due.pending().claim()) {
                withdrawn.incrementAndGet();
                continue;
            }
            FlowRecord record = due.record();
            watch(record.key(), store.queueHandshake(record), () -> background.saveHandshake(record));
        }
        return -1;
    }

    private void watch(FlowKey key, CompletableFuture<Void> queued, Runnable otherwise) {
        if (queued == null) {
            otherwise.run();
            return;
        }
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

    /** Handshakes' records waiting here. */
    public int waiting() {
        return waiting.size();
    }
}
