package io.trods.agent.app;

import io.trods.agent.control.ControlPlaneLink;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * The agent's link to ZooKeeper. Losing it is DISCONNECTED, not DOWN: downloads stay protected and
 * recoveries still happen, only the prompts on the monitor's decisions wait until it is back.
 */
public final class ControlPlaneHealthIndicator implements HealthIndicator {

    public static final Status DISCONNECTED = new Status("DISCONNECTED", "no ZooKeeper: failures are not prompted");

    private final ControlPlaneLink link;

    public ControlPlaneHealthIndicator(ControlPlaneLink link) {
        this.link = link;
    }

    @Override
    public Health health() {
        Health.Builder health = link.connected() ? Health.up() : Health.status(DISCONNECTED);
        health.withDetail("connection", link.connectionState())
                .withDetail("registered", link.registered())
                .withDetail("decisionVersion", link.lastSeenVersion())
                .withDetail("failuresPrompted", link.failuresPrompted());
        link.lastError().ifPresent(error -> health.withDetail("lastError", error));
        return health.build();
    }
}
