/**
 * What the leader publishes, decided without I/O: {@link io.trods.monitor.decision.Membership}
 * (who belongs to each virtual service) and {@link io.trods.monitor.decision.Decider} (which members
 * are backends, which are failed, and the reason for every change).
 */
package io.trods.monitor.decision;
