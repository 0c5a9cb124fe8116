package io.trods.monitor.app;

import io.trods.monitor.core.MonitorCore;
import org.springframework.boot.health.contributor.Status;

/** Lets core tests read the health indicator's status for a bare {@link MonitorCore}. */
public final class MonitorHealthIndicatorAccess {

    private MonitorHealthIndicatorAccess() {}

    public static Status status(MonitorCore core) {
        return new MonitorHealthIndicator(core).health().getStatus();
    }
}
