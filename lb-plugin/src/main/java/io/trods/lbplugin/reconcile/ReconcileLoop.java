package io.trods.lbplugin.reconcile;

import io.trods.control.DesiredState;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the {@link Reconciler} on one dedicated thread. A new desired state is synced at once, unless
 * a sync ran less than {@code minInterval} ago: then it waits out the rest, and a burst of states
 * becomes one sync to the newest. After a failure it retries (full) with a backoff doubling from
 * {@code retryMin} to {@code retryMax}; a newer desired state does not wait for the backoff. A full
 * resync every {@code fullResyncInterval} repairs drift (someone else changing the kernel's table).
 */
public final class ReconcileLoop implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ReconcileLoop.class);

    private final Reconciler reconciler;
    private final long minIntervalNanos;
    private final Duration fullResyncInterval;
    private final long retryMinMillis;
    private final long retryMaxMillis;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "balancer-reconciler");
        t.setDaemon(true);
        return t;
    });

    // Guarded by this.
    private ScheduledFuture<?> next;
    private boolean nextIsRetry;
    private boolean fullRequested;
    private long lastRunNanos = System.nanoTime() - Duration.ofDays(1).toNanos();
    private long backoffMillis;
    private boolean closed;

    public ReconcileLoop(Reconciler reconciler, Duration minInterval, Duration fullResyncInterval, Duration retryMin,
            Duration retryMax) {
        this.reconciler = reconciler;
        this.minIntervalNanos = minInterval.toNanos();
        this.fullResyncInterval = fullResyncInterval;
        this.retryMinMillis = retryMin.toMillis();
        this.retryMaxMillis = Math.max(retryMin.toMillis(), retryMax.toMillis());
    }

    public void start() {
        thread.execute(reconciler::checkSettings);
        long period = fullResyncInterval.toMillis();
        thread.scheduleWithFixedDelay(this::requestFullResync, period, period, TimeUnit.MILLISECONDS);
        kick(false);
    }

    /** Hands a desired state to the reconciler; false when it is not newer than the last one. */
    public boolean offer(DesiredState state) {
        if (!reconciler.offer(state)) {
            return false;
        }
        kick(false);
        return true;
    }

    /** Reads the kernel and converges, as soon as the throttle allows. */
    public void requestFullResync() {
        synchronized (this) {
            fullRequested = true;
        }
        kick(false);
    }

    public Reconciler reconciler() {
        return reconciler;
    }

    private synchronized void kick(boolean retry) {
        if (closed) {
            return;
        }
        if (next != null) {
            if (retry || !nextIsRetry) {
                return; // one sync already coming: it will take the newest state
            }
            next.cancel(false); // new work: don't make it wait out a failure's backoff
        }
        long delayNanos = retry ? TimeUnit.MILLISECONDS.toNanos(backoffMillis)
                : Math.max(0, lastRunNanos + minIntervalNanos - System.nanoTime());
        nextIsRetry = retry;
        next = thread.schedule(this::runOnce, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void runOnce() {
        boolean full;
        synchronized (this) {
            next = null;
            full = fullRequested;
            fullRequested = false;
            lastRunNanos = System.nanoTime();
        }
        SyncRecord record;
        try {
            record = reconciler.sync(full);
        } catch (RuntimeException e) {
            log.error("reconciler failed unexpectedly", e); // never lose the thread
            reconciler.markDirty();
            record = new SyncRecord(System.currentTimeMillis(), 0, full, 0, 0, 0, 0, 0, e.toString());
        }
        synchronized (this) {
            if (record != null && record.failed()) {
                backoffMillis = backoffMillis == 0 ? retryMinMillis : Math.min(retryMaxMillis, backoffMillis * 2);
                kick(true);
            } else {
                backoffMillis = 0;
            }
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        thread.shutdownNow();
        try {
            thread.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
