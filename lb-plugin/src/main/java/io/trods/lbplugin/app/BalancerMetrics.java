package io.trods.lbplugin.app;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.trods.lbplugin.reconcile.Reconciler;
import io.trods.lbplugin.reconcile.SyncRecord;
import io.trods.lbplugin.table.BalancerTable;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * {@code trods.balancer.sync} (timer, {@code kind=full|partial}), {@code trods.balancer.sync.errors},
 * and gauges of the applied table's backends and version.
 */
public final class BalancerMetrics implements Consumer<SyncRecord> {

    private final Timer full;
    private final Timer partial;
    private final Counter errors;

    public BalancerMetrics(MeterRegistry registry, Reconciler reconciler) {
        full = Timer.builder("trods.balancer.sync").tag("kind", "full").register(registry);
        partial = Timer.builder("trods.balancer.sync").tag("kind", "partial").register(registry);
        errors = Counter.builder("trods.balancer.sync.errors").register(registry);
        Gauge.builder("trods.balancer.table.backends", reconciler, r -> {
            BalancerTable applied = r.status().applied();
            return applied == null ? 0 : applied.backendCount();
        }).register(registry);
        Gauge.builder("trods.balancer.applied.version", reconciler, r -> r.status().appliedVersion()).register(registry);
    }

    @Override
    public void accept(SyncRecord sync) {
        (sync.full() ? full : partial).record(sync.durationNanos(), TimeUnit.NANOSECONDS);
        if (sync.failed()) {
            errors.increment();
        }
    }
}
