package io.trods.agent.engine;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A handshake's record on its way to the store, which the engine may withdraw until the keeper
 * claims it for sending. The keeper holds it back a little: a short response is saved with its own
 * record (which supersedes the handshake's) before that, and its connection then costs no
 * handshake save at all. Withdrawn and claimed are final; exactly one of them can happen.
 */
public final class PendingHandshake {

    private static final int WAITING = 0;
    private static final int CLAIMED = 1;
    private static final int WITHDRAWN = 2;

    private final AtomicInteger state = new AtomicInteger(WAITING);

    /** A handshake that was sent, or will be, whatever the engine does: nothing to withdraw. */
    public static PendingHandshake claimed() {
        PendingHandshake sent = new PendingHandshake();
        sent.claim();
        return sent;
    }

    /** The engine: true if the record will never be sent (it was still waiting). */
    public boolean withdraw() {
        return state.compareAndSet(WAITING, WITHDRAWN);
    }

    /** Whether the engine withdrew it. */
    public boolean withdrawn() {
        return state.get() == WITHDRAWN;
    }

    /** The keeper: true if the record is to be sent now (the engine has not withdrawn it). */
    public boolean claim() {
        return state.compareAndSet(WAITING, CLAIMED);
    }
}
