package io.trods.agent.app;

import io.trods.agent.flow.FlowStore;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * Whether this server's downloads are protected: interception running and the store reachable.
 * Not protected is reported as UNPROTECTED, not DOWN: the web server works on without us
 * (fail-open), and nothing should restart or drain it for that.
 */
public final class ProtectionHealthIndicator implements HealthIndicator {

    public static final Status UNPROTECTED = new Status("UNPROTECTED", "downloads flow but are not protected");

    private final AgentRuntime runtime;
    private final FlowStore store;

    public ProtectionHealthIndicator(AgentRuntime runtime, FlowStore store) {
        this.runtime = runtime;
        this.store = store;
    }

    @Override
    public Health health() {
        boolean intercepting = runtime.isRunning();
        boolean storeReachable = store.reachable();
        Health.Builder health = intercepting && storeReachable ? Health.up() : Health.status(UNPROTECTED);
        health.withDetail("protected", intercepting && storeReachable)
                .withDetail("intercepting", intercepting)
                .withDetail("rulesApplied", runtime.rulesApplied())
                .withDetail("storeReachable", storeReachable)
                .withDetail("trackedFlows", runtime.trackedFlows())
                .withDetail("packets", runtime.packets())
                .withDetail("packetsNotQueued", runtime.unseenPackets())
                .withDetail("handshakesUnseen", runtime.handshakeCopiesMissed())
                .withDetail("fastPath", runtime.fastPathState());
        if (!intercepting) {
            health.withDetail("reason", runtime.unavailable());
        }
        return health.build();
    }
}
