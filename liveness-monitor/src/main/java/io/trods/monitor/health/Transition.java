package io.trods.monitor.health;

/** A change of dampened health, with the reason an operator reads in the log and the document. */
public record Transition(HealthState from, HealthState to, String reason, long atMillis) {
}
