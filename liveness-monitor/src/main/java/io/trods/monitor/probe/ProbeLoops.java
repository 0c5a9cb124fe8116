package io.trods.monitor.probe;

import java.io.Closeable;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loop (a daemon thread) per endpoint, so that one slow or hanging server never delays the
 * probes of another. A probe starts every {@code interval}, or at once after a probe that took
 * longer; each result goes to the sink on the loop's thread.
 */
public final class ProbeLoops implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(ProbeLoops.class);

    private final Probe probe;
    private final long intervalMillis;
    private final BiConsumer<ServerEndpoint, ProbeResult> sink;
    private final Map<ServerEndpoint, Thread> loops = new HashMap<>();
    private boolean closed;

    public ProbeLoops(Probe probe, long intervalMillis, BiConsumer<ServerEndpoint, ProbeResult> sink) {
        this.probe = probe;
        this.intervalMillis = intervalMillis;
        this.sink = sink;
    }

    /** Starts loops for new endpoints and stops those no longer wanted. */
    public synchronized void probeExactly(Set<ServerEndpoint> wanted) {
        if (closed) {
            return;
        }
        loops.entrySet().removeIf(e -> {
            if (!wanted.contains(e.getKey())) {
                log.info("stopped probing {}", e.getKey());
                e.getValue().interrupt();
                return true;
            }
            return false;
        });
        for (ServerEndpoint endpoint : wanted) {
            loops.computeIfAbsent(endpoint, this::start);
        }
    }

    public synchronized Set<ServerEndpoint> probed() {
        return Set.copyOf(loops.keySet());
    }

    private Thread start(ServerEndpoint endpoint) {
        Thread thread = new Thread(() -> run(endpoint), "trods-probe-" + endpoint);
        thread.setDaemon(true);
        thread.start();
        log.info("probing {}", endpoint);
        return thread;
    }

    private void run(ServerEndpoint endpoint) {
        while (!Thread.currentThread().isInterrupted()) {
            long start = System.nanoTime();
            ProbeResult result = probe.check(endpoint);
            if (Thread.currentThread().isInterrupted()) {
                return; // stopped while probing: the endpoint is no longer wanted
            }
            try {
                sink.accept(endpoint, result);
            } catch (RuntimeException e) {
                log.warn("handling a probe result of {} failed", endpoint, e);
            }
            long leftMillis = intervalMillis - (System.nanoTime() - start) / 1_000_000;
            if (leftMillis > 0) {
                try {
                    Thread.sleep(leftMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        loops.values().forEach(Thread::interrupt);
        loops.clear();
    }
}
