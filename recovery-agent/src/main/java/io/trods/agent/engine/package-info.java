/**
 * The agent's decisions, segment by segment: the normal path ({@link io.trods.agent.engine.FlowEngine}:
 * handshake, request, write-ahead save, withheld acknowledgement) and, beside it, recovery. Pure
 * logic over {@link io.trods.agent.packet} views and the {@link io.trods.agent.flow.FlowStore}; the
 * kernel adapters feed it.
 */
package io.trods.agent.engine;
