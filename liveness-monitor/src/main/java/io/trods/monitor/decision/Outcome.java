package io.trods.monitor.decision;

import io.trods.control.VirtualService;
import java.util.List;

/**
 * The decider's result: the services as they should be published, what changed and why, and how
 * many members have no verdict yet (and are therefore not listed at all).
 */
public record Outcome(List<VirtualService> services, List<Decision> decisions, int warmingUp) {

    public Outcome {
        services = List.copyOf(services);
        decisions = List.copyOf(decisions);
    }

    public boolean panicking() {
        return decisions.stream().anyMatch(d -> d.action() == Decision.Action.PANIC_HOLD);
    }
}
