package io.trods.lbplugin.ipvs;

import io.trods.lbplugin.driver.DriverException;
import io.trods.lbplugin.table.TableOp;

/**
 * A failed {@code ipvsadm} run: the driver operation ({@code apply}, {@code read}, ...), ipvsadm's
 * exit status and stderr, what the message means ({@link #error()}, with its errno), and for
 * {@code apply} the table operation that failed and how many before it were applied.
 */
public class IpvsException extends DriverException {

    private final IpvsError error;
    private final transient TableOp op;
    private final int appliedBefore;

    public IpvsException(String operation, int status, String stderr, String message, TableOp op, int appliedBefore,
            Throwable cause) {
        super(operation, status, stderr, message, cause);
        this.error = IpvsError.of(stderr);
        this.op = op;
        this.appliedBefore = appliedBefore;
    }

    public IpvsError error() {
        return error;
    }

    /** The errno behind ipvsadm's message; 0 when not recognised. */
    public int errno() {
        return error.errno();
    }

    /** The table operation that failed (null outside {@code apply}). */
    public TableOp op() {
        return op;
    }

    /** Operations of the same {@code apply} that the kernel had accepted before this one. */
    public int appliedBefore() {
        return appliedBefore;
    }
}
