package io.trods.monitor.probe;

/** How one probe ended. Only {@link #SUCCESS} counts as alive. */
public enum ProbeOutcome {
    SUCCESS,
    /** The server answered, but not with the expected status (or not with valid HTTP). */
    BAD_RESPONSE,
    /** No connection or no answer within the probe's timeout. */
    TIMEOUT,
    /** The connection was refused or reset: the host is up, the service is not. */
    REFUSED,
    ERROR;

    public boolean success() {
        return this == SUCCESS;
    }
}
