/** The Redis adapter of the agent: {@link io.trods.agent.flow.FlowStore} on Spring Data Redis. */
package io.trods.agent.redis;
