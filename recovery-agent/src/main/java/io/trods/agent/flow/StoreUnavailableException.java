package io.trods.agent.flow;

/** The store did not answer in time or refused: the flow stays unprotected, traffic flows on. */
public final class StoreUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
