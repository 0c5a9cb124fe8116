package io.trods.monitor.decision;

/** One change the decider made to a service's table, and why. */
public record Decision(String service, String serverId, Action action, String reason) {

    public enum Action {
        /** A new member came up and became a backend. */
        ADD,
        /** A failed server came back up and left {@code failed}. */
        RECOVER,
        /** A backend went down: out of the table, listed as failed. */
        REMOVE,
        DRAIN,
        UNDRAIN,
        WEIGHT,
        /** A down backend kept because too few members look alive. */
        PANIC_HOLD,
        /** A failed server neither configured nor registered, no longer listed after the retention time. */
        FORGET
    }

    @Override
    public String toString() {
        return service + "/" + serverId + " " + action + ": " + reason;
    }
}
