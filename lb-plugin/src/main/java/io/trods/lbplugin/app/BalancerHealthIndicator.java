package io.trods.lbplugin.app;

import io.trods.lbplugin.driver.SettingCheck;
import io.trods.lbplugin.reconcile.Reconciler;
import io.trods.lbplugin.reconcile.ReconcilerStatus;
import io.trods.lbplugin.source.DesiredStateSource;
import io.trods.lbplugin.source.SourceStatus;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * DOWN when the source is unreachable (the table is kept as it was: fail-static) or the last sync
 * failed. Kernel settings are warnings in the details, not a status: the lab sets them late.
 */
public final class BalancerHealthIndicator implements HealthIndicator {

    private final Reconciler reconciler;
    private final DesiredStateSource source;

    public BalancerHealthIndicator(Reconciler reconciler, DesiredStateSource source) {
        this.reconciler = reconciler;
        this.source = source;
    }

    @Override
    public Health health() {
        ReconcilerStatus status = reconciler.status();
        SourceStatus from = source.status();
        Health.Builder health = from.connected() && status.lastError().isEmpty() ? Health.up() : Health.down();
        health.withDetail("source", from.kind())
                .withDetail("connection", from.connection())
                .withDetail("failStatic", from.failStatic())
                .withDetail("desiredVersion", status.desiredVersion())
                .withDetail("appliedVersion", status.appliedVersion())
                .withDetail("invalidDocuments", from.invalidDocuments());
        if (!status.lastError().isEmpty()) {
            health.withDetail("lastError", status.lastError());
        }
        var warnings = status.settings().stream().filter(s -> !s.ok()).map(SettingCheck::warning).toList();
        if (!warnings.isEmpty()) {
            health.withDetail("warnings", warnings);
        }
        return health.build();
    }
}
