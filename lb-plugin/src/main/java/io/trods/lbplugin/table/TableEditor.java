package io.trods.lbplugin.table;

import io.trods.lbplugin.table.TableOp.AddBackend;
import io.trods.lbplugin.table.TableOp.AddService;
import io.trods.lbplugin.table.TableOp.DeleteBackend;
import io.trods.lbplugin.table.TableOp.DeleteService;
import io.trods.lbplugin.table.TableOp.EditBackend;
import io.trods.lbplugin.table.TableOp.EditService;
import java.util.TreeMap;

/**
 * Applies {@link TableOp}s one at a time with the kernel's rules: adding what exists or touching
 * what does not is refused ({@link Refused} says which errno IPVS would return), and a refused
 * operation changes nothing.
 */
public final class TableEditor {

    /** What IPVS answers when an operation does not match its table. */
    public enum Errno {
        EEXIST(17, "File exists"),
        ENOENT(2, "No such file or directory"),
        ESRCH(3, "No such process");

        public final int code;
        public final String text;

        Errno(int code, String text) {
            this.code = code;
            this.text = text;
        }
    }

    /** An operation the table refuses. */
    public static final class Refused extends RuntimeException {

        public final Errno errno;

        Refused(Errno errno, String what) {
            super(what + ": " + errno.text);
            this.errno = errno;
        }
    }

    private final TreeMap<Endpoint, TableService> services;

    public TableEditor(BalancerTable start) {
        this.services = new TreeMap<>(start.services());
    }

    public void apply(TableOp op) {
        TableService current = services.get(op.service());
        // Java 17: no pattern matching for switch yet.
        if (op instanceof AddService add) {
            if (current != null) {
                throw new Refused(Errno.EEXIST, "service " + add.service());
            }
            services.put(add.service(), new TableService(add.service(), add.scheduler(), add.forwarding(), null));
        } else if (op instanceof EditService edit) {
            services.put(edit.service(), new TableService(edit.service(), edit.scheduler(), edit.forwarding(),
                    existing(current, op).backends()));
        } else if (op instanceof DeleteService) {
            existing(current, op);
            services.remove(op.service());
        } else if (op instanceof AddBackend add) {
            TreeMap<Endpoint, Integer> backends = new TreeMap<>(existing(current, op).backends());
            if (backends.putIfAbsent(add.backend(), add.weight()) != null) {
                throw new Refused(Errno.EEXIST, "backend " + add.backend() + " of " + add.service());
            }
            services.put(add.service(), current.withBackends(backends));
        } else if (op instanceof EditBackend edit) {
            TreeMap<Endpoint, Integer> backends = new TreeMap<>(existing(current, op).backends());
            if (backends.replace(edit.backend(), edit.weight()) == null) {
                throw new Refused(Errno.ENOENT, "backend " + edit.backend() + " of " + edit.service());
            }
            services.put(edit.service(), current.withBackends(backends));
        } else if (op instanceof DeleteBackend delete) {
            TreeMap<Endpoint, Integer> backends = new TreeMap<>(existing(current, op).backends());
            if (backends.remove(delete.backend()) == null) {
                throw new Refused(Errno.ENOENT, "backend " + delete.backend() + " of " + delete.service());
            }
            services.put(delete.service(), current.withBackends(backends));
        } else {
            throw new IllegalArgumentException("unknown operation " + op);
        }
    }

    public BalancerTable table() {
        return new BalancerTable(services);
    }

    private static TableService existing(TableService current, TableOp op) {
        if (current == null) {
            // IPVS answers ESRCH for an unknown service.
            throw new Refused(Errno.ESRCH, "service " + op.service());
        }
        return current;
    }
}
