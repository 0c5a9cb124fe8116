package io.trods.agent.recovery;

import java.io.Closeable;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts recovery workers off the packet thread. A worker streams one recovered connection for as
 * long as it lasts, so a burst of recoveries needs new threads, and starting a thread waits until
 * the new thread has been scheduled: on the packet thread that took 1.1 ms per recovery at p50 and
 * 4.7 ms at p90 in a burst (bench/recovery-rate.sh), one recovery after the other. Here the packet
 * thread only queues the work; the launcher's thread hands it to the pool.
 */
public final class WorkerLauncher implements Executor, Closeable {

    private static final Logger log = LoggerFactory.getLogger(WorkerLauncher.class);

    /** Work that must hear of it when no worker takes it (the pool is at its maximum). */
    public interface Launchable extends Runnable {
        void rejected();
    }

    private final Executor workers;
    private final BlockingQueue<Runnable> queue;
    private final Thread thread;
    private volatile boolean closed;

    /**
     * @param workers the pool, which refuses work beyond its maximum of threads
     * @param capacity work waiting for its launch, at most; more is rejected at once
     */
    public WorkerLauncher(Executor workers, int capacity) {
        this.workers = workers;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.thread = new Thread(this::launch, "trods-recovery-launcher");
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues the work for a worker; throws {@link RejectedExecutionException} when the queue is full. */
    @Override
    public void execute(Runnable work) {
        if (closed || !queue.offer(work)) {
            throw new RejectedExecutionException(closed ? "closed" : "too many recoveries waiting for a worker");
        }
    }

    private void launch() {
        while (!closed) {
            Runnable work;
            try {
                work = queue.take();
            } catch (InterruptedException e) {
                break;
            }
            try {
                workers.execute(work);
            } catch (RejectedExecutionException e) {
                log.warn("no worker for a recovery: {}", e.getMessage());
                rejected(work);
            }
        }
        for (Runnable work; (work = queue.poll()) != null; ) {
            rejected(work);
        }
    }

    private static void rejected(Runnable work) {
        if (work instanceof Launchable launchable) {
            launchable.rejected();
        }
    }

    /** Stops launching; work still queued is rejected. */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
