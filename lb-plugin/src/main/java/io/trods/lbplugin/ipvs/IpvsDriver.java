package io.trods.lbplugin.ipvs;

import io.trods.lbplugin.driver.BalancerDriver;
import io.trods.lbplugin.driver.CommandRunner;
import io.trods.lbplugin.driver.CommandRunner.CommandResult;
import io.trods.lbplugin.driver.SettingCheck;
import io.trods.lbplugin.driver.SettingChecks;
import io.trods.lbplugin.table.BalancerTable;
import io.trods.lbplugin.table.Endpoint;
import io.trods.lbplugin.table.TableOp;
import io.trods.lbplugin.table.TableService;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The IPVS balancer, programmed with {@code ipvsadm} through a {@link CommandRunner} (local, or a
 * qemu guest's control channel). It owns every IPv4 TCP virtual service of the kernel's table.
 *
 * <p>{@link #apply} runs one {@code ipvsadm} per operation, in the given order, and stops at the
 * first failure with an {@link IpvsException} naming that operation. Not an {@code ipvsadm -R}
 * batch: IPVS has no transactions, so a batch is no more atomic, and {@code -R} goes on after a
 * failed line and still exits 0 (checked with ipvsadm 1.31 on Debian 12's kernel), so a failure
 * would go unnoticed; the reconciler reads the table back after any error anyway.
 *
 * <p>Drained servers (weight 0) stay in IPVS with weight 0: IPVS itself keeps their connections and
 * sends them nothing new, so {@link #kernelView} changes only what IPVS cannot store (the forwarding
 * of a service without servers).
 */
public final class IpvsDriver implements BalancerDriver {


    /** The settings this driver depends on: expected value and what goes wrong otherwise. */
    private static final Map<String, String[]> SETTINGS = new LinkedHashMap<>();

    static {
        SETTINGS.put("net.ipv4.ip_forward", new String[] {"1", "the director does not forward packets to the servers"});
        SETTINGS.put("net.ipv4.vs.sloppy_tcp", new String[] {"1",
            "a non-SYN packet of a connection IPVS does not know is dropped instead of scheduled to a survivor"});
        SETTINGS.put("net.ipv4.vs.expire_nodest_conn", new String[] {"1",
            "connections of a removed server are not expired on their next packet: they stall instead of moving"});
        SETTINGS.put("net.ipv4.vs.conntrack", new String[] {"0",
            "with netfilter tracking IPVS connections, the first packet of a moved connection is dropped "
                + "(its old conntrack entry) and only a retransmission reaches the survivor"});
    }

    private final CommandRunner runner;
    private final Sysctls sysctls;
    private final IpvsTableReader reader = new IpvsTableReader();
    private final boolean manageSysctls;
    private final Duration timeout;

    public IpvsDriver(CommandRunner runner, boolean manageSysctls, Duration timeout) {
        this.runner = runner;
        this.sysctls = new Sysctls(runner, timeout);
        this.manageSysctls = manageSysctls;
        this.timeout = timeout;
    }

    @Override
    public String name() {
        return "ipvs";
    }

    @Override
    public BalancerTable read() throws IpvsException {
        CommandResult result = run("read", List.of(IpvsCommands.IPVSADM, "-L", "-n"), null, 0);
        if (!result.ok()) {
            throw failure("read", result, null, 0, "ipvsadm -L -n");
        }
        try {
            return reader.read(result.stdout());
        } catch (IllegalArgumentException e) {
            throw new IpvsException("read", 0, result.stderr(), e.getMessage(), null, 0, e);
        }
    }

    @Override
    public void apply(List<TableOp> ops, BalancerTable desired) throws IpvsException {
        for (int i = 0; i < ops.size(); i++) {
            TableOp op = ops.get(i);
            List<String> argv;
            try {
                argv = IpvsCommands.render(op);
            } catch (IllegalArgumentException e) {
                throw new IpvsException("apply", 0, "", op + ": " + e.getMessage(), op, i, e);
            }
            CommandResult result = run("apply", argv, op, i);
            if (!result.ok()) {
                throw failure("apply", result, op, i, String.join(" ", argv));
            }
        }
    }

    /**
     * Nothing to do: with {@code net.ipv4.vs.expire_nodest_conn=1} (see {@link #checkSettings}) IPVS
     * expires a connection whose server was deleted ({@code ipvsadm -d}) on that connection's next
     * packet, and with {@code sloppy_tcp=1} schedules that very packet afresh to a survivor.
     */
    @Override
    public void forgetConnections(Endpoint service, String backendAddress) {
        // Intentionally empty: see the javadoc. IPVS, not this driver, moves the connections.
    }

    @Override
    public List<SettingCheck> checkSettings() {
        List<SettingCheck> checks = new ArrayList<>();
        SETTINGS.forEach((name, spec) -> checks.add(check(name, spec[0], spec[1])));
        return checks;
    }

    /** What IPVS stores: a service without servers has no forwarding (read back as {@code nat}). */
    @Override
    public BalancerTable kernelView(BalancerTable desired) {
        List<TableService> services = new ArrayList<>();
        for (TableService s : desired.services().values()) {
            services.add(s.backends().isEmpty() && !s.forwarding().equals(IpvsTableReader.EMPTY_SERVICE_FORWARDING)
                    ? new TableService(s.key(), s.scheduler(), IpvsTableReader.EMPTY_SERVICE_FORWARDING, s.backends())
                    : s);
        }
        return BalancerTable.of(services);
    }

    private SettingCheck check(String name, String expected, String why) {
        // The vs settings appear with the ip_vs module; ipvsadm would load it too, later.
        return SettingChecks.check(sysctls, name, expected, why, manageSysctls, () -> {
            if (name.startsWith("net.ipv4.vs.")) {
                runner.run(List.of("modprobe", "ip_vs"), new byte[0], timeout);
            }
        }, "the setting is absent: ip_vs is not loaded yet");
    }

    private CommandResult run(String operation, List<String> argv, TableOp op, int index) throws IpvsException {
        try {
            return runner.run(argv, new byte[0], timeout);
        } catch (IOException e) {
            throw new IpvsException(operation, -1, "", String.join(" ", argv) + ": " + e.getMessage(), op, index, e);
        }
    }

    private static IpvsException failure(String operation, CommandResult result, TableOp op, int index, String command) {
        String said = result.stderr().isBlank() ? result.stdout().strip() : result.stderr().strip();
        String where = op == null ? "" : " (operation " + (index + 1) + ", " + index + " applied before it)";
        return new IpvsException(operation, result.exitCode(), result.stderr(),
                command + ": " + (said.isEmpty() ? "no message" : said) + where, op, index, null);
    }
}
