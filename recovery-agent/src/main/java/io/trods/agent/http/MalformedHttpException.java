package io.trods.agent.http;

/** A message that breaks HTTP/1.1's grammar; the message says how, safe to log. */
public final class MalformedHttpException extends Exception {

    private static final long serialVersionUID = 1L;

    public MalformedHttpException(String message) {
        super(message, null, false, false);
    }
}
