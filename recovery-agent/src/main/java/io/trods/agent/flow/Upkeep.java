package io.trods.agent.flow;

/**
 * Store work that need not hold a packet: a handshake's record, saved unless the flow has one
 * already, or the removal of a finished flow's record and its index entry. Exactly one of
 * {@code handshake} and {@code removed} is set.
 */
public record Upkeep(FlowRecord handshake, FlowKey removed, String server, boolean afterReset) {

    public static Upkeep saveHandshake(FlowRecord record) {
        return new Upkeep(record, null, record.server(), false);
    }

    /** @param afterReset the connection ended by a reset: see {@link FlowStore#delete(FlowKey, String, boolean)} */
    public static Upkeep remove(FlowKey key, String server, boolean afterReset) {
        return new Upkeep(null, key, server, afterReset);
    }

    public FlowKey key() {
        return handshake != null ? handshake.key() : removed;
    }
}
