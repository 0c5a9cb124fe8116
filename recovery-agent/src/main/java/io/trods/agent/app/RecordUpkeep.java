package io.trods.agent.app;

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
 */
final class RecordUpkeep implements RecordKeeper, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RecordUpkeep.class);
    static final int MAX_BATCH = 256;

    private final FlowStore store;
    private final BiConsumer<FlowKey, RuntimeException> failed;
    private final BlockingQueue<Upkeep> queue;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong batches = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    /** @param failed told of every flow whose upkeep the store refused */
    RecordUpkeep(FlowStore store, int capacity, BiConsumer<FlowKey, RuntimeException> failed) {
        this.store = store;
        this.failed = failed;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.thread = new Thread(this::run, "trods-records");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void saveHandshake(FlowRecord record) {
        offer(Upkeep.saveHandshake(record));
    }

    @Override
    public void delete(FlowKey key, String server) {
        offer(Upkeep.remove(key, server));
    }

    private void offer(Upkeep upkeep) {
        if (!queue.offer(upkeep)) {
            dropped.incrementAndGet();
        }
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
                Upkeep first = queue.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
            } catch (InterruptedException e) {
                return;
            }
            queue.drainTo(batch, MAX_BATCH - 1);
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
