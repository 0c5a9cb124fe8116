/**
 * The agent's side of the control plane (ZooKeeper, through Curator): it registers its server so
 * that the liveness monitor probes it, and it watches the monitor's published decision so that,
 * when another server is taken out because it failed, this agent prompts that server's clients at
 * once instead of waiting for their backed-off retransmission timers.
 *
 * <p>{@link io.trods.agent.control.FailureWatch} is the pure decision (which failures are new,
 * whether the directors have applied them); {@link io.trods.agent.control.ControlPlaneLink} is the
 * adapter. ZooKeeper down only costs the prompts: recovery still happens on the clients' own
 * retransmissions (fail-open).
 */
package io.trods.agent.control;
