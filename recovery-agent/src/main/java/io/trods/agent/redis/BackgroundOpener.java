package io.trods.agent.redis;

import java.util.concurrent.TimeUnit;

/**
 * Opens a connection on a thread of its own, never on the caller's (the packet thread must not wait
 * for a connection): at most one opening at a time, and none within a second of the last start.
 */
final class BackgroundOpener {

    private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Runnable open;
    private volatile boolean running;
    private long nextAttemptNanos;

    /** @param open connects, and hands the connection over itself; runs on the opener's thread */
    BackgroundOpener(Runnable open) {
        this.open = open;
    }

    /** Starts an opening unless one runs or the last started less than a second ago. One caller thread. */
    void request() {
        long now = System.nanoTime();
        if (running || now - nextAttemptNanos < 0) {
            return;
        }
        nextAttemptNanos = now + RETRY_NANOS;
        running = true;
        Thread opener = new Thread(() -> {
            try {
                open.run();
            } finally {
                running = false;
            }
        }, "trods-redis-connect");
        opener.setDaemon(true);
        opener.start();
    }

    /** Puts the next opening off by a second from now (a connection was just lost). */
    void later() {
        nextAttemptNanos = System.nanoTime() + RETRY_NANOS;
    }
}
