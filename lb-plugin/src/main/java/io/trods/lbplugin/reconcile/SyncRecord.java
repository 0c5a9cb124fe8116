package io.trods.lbplugin.reconcile;

/**
 * One reconciliation attempt: when, how long, whether it read the kernel first ({@code full}), how
 * many table operations and connection flushes it made, and its error (empty on success).
 */
public record SyncRecord(long atMillis, long durationNanos, boolean full, int operations, int forgotten,
        long desiredVersion, long appliedVersion, long appliedAtMillis, String error) {

    public SyncRecord {
        error = error == null ? "" : error;
    }

    public boolean failed() {
        return !error.isEmpty();
    }

    public double durationMillis() {
        return durationNanos / 1e6;
    }
}
