package io.trods.monitor.probe;

/** One probe: its outcome, how long it took, and what went wrong (empty on success). */
public record ProbeResult(ProbeOutcome outcome, long latencyMicros, String detail, long atMillis) {

    public ProbeResult {
        detail = detail == null ? "" : detail;
    }

    public boolean success() {
        return outcome.success();
    }
}
