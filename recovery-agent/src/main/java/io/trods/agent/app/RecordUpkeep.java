package io.trods.agent.app;

import io.trods.agent.engine.PendingHandshake;
import io.trods.agent.engine.RecordKeeper;
import io.trods.agent.flow.FlowKey;
import io.trods.agent.flow.FlowRecord;
import io.trods.agent.flow.FlowStore;
import io.trods.agent.flow.Upkeep;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's {@link RecordKeeper}: handshake saves and record removals, applied in order on one
 * thread of their own, so that a removal never overtakes the save it follows. Whatever queued up
 * while a batch was on the wire goes as the next batch, in one round trip: with one round trip per
 * operation, a thousand new connections a second (two operations each) kept this thread waiting on
 * Redis all the time, and the work it could not keep up with was dropped. It still is, when the
 * queue is full (counted): a handshake record is an optimisation and records expire anyway.
 *
 * <p>A handshake's record waits {@code handshakeDelay} before it is sent, and the engine withdraws
 * it when the connection's first response is saved before that, or when the connection ends: a
 * short response on a nearby client's connection then costs no handshake save at all, and its
 * save does not queue in Redis behind one (measured in the lab: sent 0.2-0.3 ms after the SYN-ACK,
 * the handshake's three commands went out just as the request arrived). What waits behind a
 * handshake waits with it, so the order of the work is kept.
 */
final class RecordUpkeep implements RecordKeeper, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RecordUpkeep.class);
    static final int MAX_BATCH = 256;

    private final FlowStore store;
    private final BiConsumer<FlowKey, RuntimeException> failed;
    private final BlockingQueue<Entry> queue;
    private final long handshakeDelayNanos;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong withdrawn = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    /** Work in the order it came; a handshake's with the handle the engine may withdraw it through. */
    private record Entry(Upkeep upkeep, PendingHandshake pending, long dueNanos) {
    }

    /** @param failed told of every flow whose upkeep the store refused */
    RecordUpkeep(FlowStore store, int capacity, BiConsumer<FlowKey, RuntimeException> failed) {
        this(store, capacity, java.time.Duration.ZERO, failed);
    }

    /**
     * @param handshakeDelay how long a handshake's record waits before it is sent, for the engine to
     *     withdraw it
     * @param failed told of every flow whose upkeep the store refused
     */
    RecordUpkeep(FlowStore store, int capacity, java.time.Duration handshakeDelay,
            BiConsumer<FlowKey, RuntimeException> failed) {
        this.store = store;
        this.handshakeDelayNanos = handshakeDelay.toNanos();
        this.failed = failed;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.thread = new Thread(this::run, "trods-records");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public PendingHandshake saveHandshake(FlowRecord record) {
        PendingHandshake pending = new PendingHandshake();
        if (!queue.offer(new Entry(Upkeep.saveHandshake(record), pending, System.nanoTime() + handshakeDelayNanos))) {
            dropped.incrementAndGet();
            pending.withdraw(); // never sent: the connection's end has nothing to remove
        }
        return pending;
    }

    @Override
    public void delete(FlowKey key, String server) {
        delete(key, server, false);
    }

    @Override
    public void delete(FlowKey key, String server, boolean afterReset) {
        if (!queue.offer(new Entry(Upkeep.remove(key, server, afterReset), null, 0))) {
            dropped.incrementAndGet();
        }
    }

    /** Handshake saves the engine withdrew before they were sent. */
    long withdrawn() {
        return withdrawn.get();
    }

    /** Upkeep dropped because the queue was full. */
    long dropped() {
        return dropped.get();
    }

    /** Round trips so far, each with one batch. */
    long batches() {
        return batches.get();
    }

    private void run() {
        List<Upkeep> batch = new ArrayList<>(MAX_BATCH);
        while (running || !queue.isEmpty()) {
            try {
                Entry first = queue.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                long wait = first.pending() == null ? 0 : first.dueNanos() - System.nanoTime();
                if (wait > 0 && running) {
                    java.util.concurrent.TimeUnit.NANOSECONDS.sleep(wait);
                }
                add(first, batch);
            } catch (InterruptedException e) {
                return;
            }
            // Everything due behind it, in order, up to the first handshake still waiting.
            long now = System.nanoTime();
            for (Entry next; batch.size() < MAX_BATCH && (next = queue.peek()) != null; ) {
                if (next.pending() != null && next.dueNanos() - now > 0 && running) {
                    break;
                }
                add(queue.poll(), batch);
            }
            if (batch.isEmpty()) {
                continue;
            }
            try {
                store.upkeep(batch);
            } catch (RuntimeException e) {
                // StoreUnavailableException normally; anything else must not end this thread either.
                if (!(e instanceof io.trods.agent.flow.StoreUnavailableException)) {
                    log.warn("upkeep of {} flows failed", batch.size(), e);
                }
                for (Upkeep u : batch) {
                    failed.accept(u.key(), e);
                }
            }
            batches.incrementAndGet();
            batch.clear();
        }
    }

    /** Adds the entry's work to the batch, unless it is a handshake the engine withdrew. */
    private void add(Entry entry, List<Upkeep> batch) {
        if (entry.pending() == null || entry.pending().claim()) {
            batch.add(entry.upkeep());
        } else {
            withdrawn.incrementAndGet();
        }
    }

    /** Applies what is queued, for at most a second, then stops. */
    @Override
    public void close() {
        running = false;
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        thread.interrupt();
    }
}
