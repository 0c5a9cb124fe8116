package io.trods.control;

/** A znode's bytes are not a valid document of the expected kind; the cause says why. */
public class InvalidDocumentException extends Exception {

    public InvalidDocumentException(String message, Throwable cause) {
        super(message, cause);
    }
}
