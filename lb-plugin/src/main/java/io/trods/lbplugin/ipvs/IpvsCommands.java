package io.trods.lbplugin.ipvs;

import io.trods.lbplugin.table.Endpoint;
import io.trods.lbplugin.table.TableOp;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders table operations as {@code ipvsadm} command lines (TCP services only: the table has no
 * other protocol). The hashing schedulers get port hashing ({@code mh} → {@code -b mh-port},
 * {@code sh} → {@code -b sh-port}), so that every director maps a client's address and port to the
 * same server without shared state, as the nftables driver's jhash does.
 */
public final class IpvsCommands {

    public static final String IPVSADM = "ipvsadm";

    private IpvsCommands() {}

    public static List<String> render(TableOp op) {
        List<String> argv = new ArrayList<>(List.of(IPVSADM));
        // Java 17: no pattern switch; TableOp is sealed, so the last branch is the only one left.
        if (op instanceof TableOp.AddService s) {
            service(argv, "-A", s.service(), s.scheduler());
        } else if (op instanceof TableOp.EditService s) {
            service(argv, "-E", s.service(), s.scheduler());
        } else if (op instanceof TableOp.DeleteService s) {
            argv.addAll(List.of("-D", "-t", s.service().toString()));
        } else if (op instanceof TableOp.AddBackend b) {
            backend(argv, "-a", b.service(), b.backend(), b.weight(), b.forwarding());
        } else if (op instanceof TableOp.EditBackend b) {
            backend(argv, "-e", b.service(), b.backend(), b.weight(), b.forwarding());
        } else {
            TableOp.DeleteBackend b = (TableOp.DeleteBackend) op;
            argv.addAll(List.of("-d", "-t", b.service().toString(), "-r", b.backend().toString()));
        }
        return List.copyOf(argv);
    }

    /** The scheduler flags a service gets for {@code scheduler}, as {@code ipvsadm -Ln} shows them ("" for none). */
    public static String schedulerFlags(String scheduler) {
        return switch (scheduler) {
            case "mh" -> "mh-port";
            case "sh" -> "sh-port";
            default -> "";
        };
    }

    /** {@code nat} → {@code -m} (masquerading), {@code dr} → {@code -g} (gatewaying, direct routing). */
    public static String forwardingFlag(String forwarding) {
        return switch (forwarding) {
            case "nat" -> "-m";
            case "dr" -> "-g";
            default -> throw new IllegalArgumentException("forwarding must be nat or dr, got '" + forwarding + "'");
        };
    }

    private static void service(List<String> argv, String verb, Endpoint service, String scheduler) {
        if (!scheduler.matches("[a-z]{1,15}")) {
            throw new IllegalArgumentException("not an IPVS scheduler: '" + scheduler + "'");
        }
        argv.addAll(List.of(verb, "-t", service.toString(), "-s", scheduler));
        String flags = schedulerFlags(scheduler);
        if (!flags.isEmpty()) {
            argv.addAll(List.of("-b", flags));
        }
    }

    private static void backend(List<String> argv, String verb, Endpoint service, Endpoint backend, int weight,
            String forwarding) {
        argv.addAll(List.of(verb, "-t", service.toString(), "-r", backend.toString(), forwardingFlag(forwarding),
                "-w", String.valueOf(weight)));
    }
}
