package io.trods.monitor.probe;

import java.io.Closeable;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loop (a daemon thread) per probe target (a server under one probe spec), so that one slow or
 * hanging server never delays the probes of another. A probe starts every {@code interval} of its
 * spec, or at once after a probe that took longer; each result goes to the sink on the loop's thread.
 */
public final class ProbeLoops implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(ProbeLoops.class);

    private final Function<ProbeSpec, Probe> probes;
    private final BiConsumer<ProbeTarget, ProbeResult> sink;
    private final Map<ProbeTarget, Thread> loops = new HashMap<>();
    private boolean closed;

    /** @param probes makes the probe of a spec (tests fake it) */
    public ProbeLoops(Function<ProbeSpec, Probe> probes, BiConsumer<ProbeTarget, ProbeResult> sink) {
        this.probes = probes;
        this.sink = sink;
    }

    /** Starts loops for new endpoints and stops those no longer wanted. */
    public synchronized void probeExactly(Set<ProbeTarget> wanted) {
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
        for (ProbeTarget endpoint : wanted) {
            loops.computeIfAbsent(endpoint, this::start);
        }
    }

    public synchronized Set<ProbeTarget> probed() {
        return Set.copyOf(loops.keySet());
    }

    private Thread start(ProbeTarget endpoint) {
        Thread thread = new Thread(() -> run(endpoint), "trods-probe-" + endpoint);
        thread.setDaemon(true);
        thread.start();
        log.info("probing {}", endpoint);
        return thread;
    }

    private void run(ProbeTarget target) {
        Probe probe = probes.apply(target.spec());
        ServerEndpoint probed = target.spec().probed(target.server());
        long intervalMillis = target.spec().intervalMillis();
        while (!Thread.currentThread().isInterrupted()) {
            long start = System.nanoTime();
            ProbeResult result = probe.check(probed);
            if (Thread.currentThread().isInterrupted()) {
                return; // stopped while probing: the endpoint is no longer wanted
            }
            try {
                sink.accept(target, result);
            } catch (RuntimeException e) {
                log.warn("handling a probe result of {} failed", target, e);
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
