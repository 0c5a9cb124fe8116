package io.trods.monitor.health;

/** A server endpoint's dampened health. */
public enum HealthState {
    /** No verdict yet (just started probing): decisions keep what the last document said. */
    UNKNOWN,
    UP,
    DOWN,
    /** Flapping: counted as down until the hold-down ends and the server rises again. */
    HELD_DOWN;

    public boolean down() {
        return this == DOWN || this == HELD_DOWN;
    }
}
