/**
 * The Redis adapter of the agent: {@link io.trods.agent.flow.FlowStore} on Spring Data Redis, and
 * the packet thread's own connection for its saves ({@link io.trods.agent.redis.DirectSaveConnection},
 * speaking the few RESP commands of a save, {@link io.trods.agent.redis.Resp}), which that thread
 * writes and reads itself.
 */
package io.trods.agent.redis;
