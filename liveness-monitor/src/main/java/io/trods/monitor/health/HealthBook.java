package io.trods.monitor.health;

import io.trods.monitor.probe.ProbeResult;
import io.trods.monitor.probe.ProbeSpec;
import io.trods.monitor.probe.ProbeTarget;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.LongSupplier;

/** The dampened health of every probe target, fed by the probe loops and read by the decider. */
public final class HealthBook {

    public static final int RECENT_RESULTS = 5;

    private final Function<ProbeSpec, DampenerSettings> settings;
    private final LongSupplier clock;
    private final Map<ProbeTarget, Entry> entries = new ConcurrentHashMap<>();

    /** @param settings the dampening of a spec (its rise and fall, the monitor's flap settings) */
    public HealthBook(Function<ProbeSpec, DampenerSettings> settings, LongSupplier clock) {
        this.settings = settings;
        this.clock = clock;
    }

    public List<Transition> record(ProbeTarget target, ProbeResult result) {
        Entry entry = entries.computeIfAbsent(target,
                t -> new Entry(new Dampener(settings.apply(t.spec()), clock.getAsLong())));
        synchronized (entry) {
            entry.recent.addLast(result);
            if (entry.recent.size() > RECENT_RESULTS) {
                entry.recent.removeFirst();
            }
            return entry.dampener.record(result.success(), result.detail(), result.atMillis());
        }
    }

    public HealthView view(ProbeTarget target) {
        Entry entry = target == null || target.server() == null ? null : entries.get(target);
        if (entry == null) {
            return HealthView.UNKNOWN;
        }
        synchronized (entry) {
            Dampener d = entry.dampener;
            return new HealthView(d.state(), d.sinceMillis(), d.reason(), new ArrayList<>(entry.recent));
        }
    }

    /** Forgets endpoints no longer probed, so that a server coming back starts from UNKNOWN. */
    public void retainOnly(Set<ProbeTarget> targets) {
        entries.keySet().retainAll(targets);
    }

    private static final class Entry {
        final Dampener dampener;
        final Deque<ProbeResult> recent = new ArrayDeque<>();

        Entry(Dampener dampener) {
            this.dampener = dampener;
        }
    }
}
