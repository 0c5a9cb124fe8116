package io.trods.agent.engine;

import io.trods.agent.flow.FlowKey;

/** What the engine reports, for metrics and logs; every method does nothing unless overridden. */
public interface EngineListener {

    /** Why a flow's response is not protected, beyond {@link io.trods.agent.http.Recoverability.Reason}. */
    enum Unprotected {
        MALFORMED_REQUEST,
        REQUEST_TOO_LARGE,
        PIPELINED,
        MALFORMED_RESPONSE,
        RESPONSE_HEAD_SPLIT,
        STORE_UNAVAILABLE,
        TABLE_FULL,
        UNTRACKED,
    }

    default void flowOpened(FlowKey key) {
    }

    default void responseProtected(FlowKey key, long saveNanos) {
    }

    /** {@code reason} is a {@link io.trods.agent.http.Recoverability.Reason} or an {@link Unprotected}. */
    default void responseUnprotected(FlowKey key, Enum<?> reason) {
    }

    default void saveFailed(FlowKey key, RuntimeException cause) {
    }

    default void flowClosed(FlowKey key) {
    }
}
