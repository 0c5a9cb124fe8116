/**
 * Dampened health: the pure {@link io.trods.monitor.health.Dampener} (rise/fall thresholds, flap
 * hold-down, time passed in) and the {@link io.trods.monitor.health.HealthBook} that keeps one per
 * probed endpoint with its last few results.
 */
package io.trods.monitor.health;
