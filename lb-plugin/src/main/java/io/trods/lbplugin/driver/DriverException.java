package io.trods.lbplugin.driver;

/**
 * A kernel operation failed. {@code status} is the command's exit status or the errno; {@code stderr}
 * is what the tool said (empty when there was no tool).
 */
public class DriverException extends Exception {

    private final String operation;
    private final int status;
    private final String stderr;

    public DriverException(String operation, int status, String stderr, String message, Throwable cause) {
        super(operation + " failed" + (status == 0 ? "" : " (status " + status + ")") + ": " + message, cause);
        this.operation = operation;
        this.status = status;
        this.stderr = stderr == null ? "" : stderr;
    }

    public DriverException(String operation, int status, String stderr, String message) {
        this(operation, status, stderr, message, null);
    }

    public String operation() {
        return operation;
    }

    public int status() {
        return status;
    }

    public String stderr() {
        return stderr;
    }
}
