package io.trods.monitor.health;

import io.trods.monitor.probe.ProbeResult;
import java.util.List;

/** A snapshot of one endpoint's health: state, since when, why, and its last few probes (oldest first). */
public record HealthView(HealthState state, long sinceMillis, String reason, List<ProbeResult> recent) {

    public static final HealthView UNKNOWN = new HealthView(HealthState.UNKNOWN, 0, "not probed", List.of());

    public HealthView {
        recent = List.copyOf(recent);
    }
}
