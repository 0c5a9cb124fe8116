package io.trods.monitor.health;

import io.trods.monitor.probe.ProbeResult;
import io.trods.monitor.probe.ServerEndpoint;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/** The dampened health of every probed endpoint, fed by the probe loops and read by the decider. */
public final class HealthBook {

    public static final int RECENT_RESULTS = 5;

    private final DampenerSettings settings;
    private final LongSupplier clock;
    private final Map<ServerEndpoint, Entry> entries = new ConcurrentHashMap<>();

    public HealthBook(DampenerSettings settings, LongSupplier clock) {
        this.settings = settings;
        this.clock = clock;
    }

    public List<Transition> record(ServerEndpoint endpoint, ProbeResult result) {
        Entry entry = entries.computeIfAbsent(endpoint, e -> new Entry(new Dampener(settings, clock.getAsLong())));
        synchronized (entry) {
            entry.recent.addLast(result);
            if (entry.recent.size() > RECENT_RESULTS) {
                entry.recent.removeFirst();
            }
            return entry.dampener.record(result.success(), result.detail(), result.atMillis());
        }
    }

    public HealthView view(ServerEndpoint endpoint) {
        Entry entry = endpoint == null ? null : entries.get(endpoint);
        if (entry == null) {
            return HealthView.UNKNOWN;
        }
        synchronized (entry) {
            Dampener d = entry.dampener;
            return new HealthView(d.state(), d.sinceMillis(), d.reason(), new ArrayList<>(entry.recent));
        }
    }

    /** Forgets endpoints no longer probed, so that a server coming back starts from UNKNOWN. */
    public void retainOnly(Set<ServerEndpoint> endpoints) {
        entries.keySet().retainAll(endpoints);
    }

    private static final class Entry {
        final Dampener dampener;
        final Deque<ProbeResult> recent = new ArrayDeque<>();

        Entry(Dampener dampener) {
            this.dampener = dampener;
        }
    }
}
