/**
 * The control plane's contract: where things live in ZooKeeper ({@link ZkLayout}) and the JSON
 * documents written there ({@link ControlCodec}).
 *
 * <p>The liveness monitor's leader publishes a {@link DesiredState}; every lb-plugin applies it and
 * reports a {@link DirectorStatus}; every recovery agent registers an {@link AgentRegistration} and
 * watches the desired state to prompt the clients of servers that {@link FailedServer failed}.
 * Operators' drains and weights are {@link ServerOverride}s, stored so that they survive a leader
 * change. Documents are validated when decoded: a malformed znode is reported, never half-applied.
 */
package io.trods.control;
