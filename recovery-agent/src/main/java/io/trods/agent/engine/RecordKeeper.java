package io.trods.agent.engine;

import io.trods.agent.flow.FlowKey;
import io.trods.agent.flow.FlowRecord;

/**
 * The store operations that need not hold a packet: the handshake's record and the removal of a
 * finished connection's record. In production they run in order on one background thread, so that
 * a removal never overtakes the save it follows.
 */
public interface RecordKeeper {

    /**
     * Saves the handshake's record unless the flow has one already, in the background, possibly a
     * little later; the returned handle withdraws it while it has not been sent.
     */
    PendingHandshake saveHandshake(FlowRecord record);

    /** Removes a finished connection's record: see {@link io.trods.agent.flow.FlowStore#delete}. */
    void delete(FlowKey key, String server);

    /** As {@link #delete}, or for a connection ended by a reset: see {@link io.trods.agent.flow.FlowStore#delete(FlowKey, String, boolean)}. */
    default void delete(FlowKey key, String server, boolean afterReset) {
        delete(key, server);
    }
}
