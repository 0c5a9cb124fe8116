package io.trods.agent.recovery;

import io.trods.agent.flow.FlowKey;

/**
 * A connection this agent recovered and is streaming into now.
 *
 * @param from the server that carried it before
 * @param phase {@code download} (the rest of an object), {@code setup} or {@code idle} (requests
 *     served here from the start)
 */
public record ActiveRecovery(FlowKey key, String from, String phase, long sinceMillis) {}
