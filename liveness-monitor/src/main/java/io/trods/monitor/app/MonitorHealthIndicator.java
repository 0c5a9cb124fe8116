package io.trods.monitor.app;

import io.trods.control.DesiredState;
import io.trods.monitor.core.MonitorCore;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * DOWN without ZooKeeper: this instance can neither publish nor take over. Leadership is a detail,
 * not a status: a healthy follower is as UP as the leader.
 */
public final class MonitorHealthIndicator implements HealthIndicator {

    private final MonitorCore core;

    public MonitorHealthIndicator(MonitorCore core) {
        this.core = core;
    }

    @Override
    public Health health() {
        Health.Builder health = core.connected() ? Health.up() : Health.down();
        DesiredState published = core.published();
        health.withDetail("id", core.id())
                .withDetail("connection", core.connectionState())
                .withDetail("leader", core.isLeader())
                .withDetail("publishedVersion", published == null ? 0 : published.version());
        if (!core.lastError().isEmpty()) {
            health.withDetail("lastError", core.lastError());
        }
        return health.build();
    }
}
