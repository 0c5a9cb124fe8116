package io.trods.lbplugin.nftables;

import io.trods.lbplugin.driver.BalancerDriver;
import io.trods.lbplugin.driver.CommandRunner;
import io.trods.lbplugin.driver.CommandRunner.CommandResult;
import io.trods.lbplugin.driver.DriverException;
import io.trods.lbplugin.driver.SettingCheck;
import io.trods.lbplugin.driver.SettingChecks;
import io.trods.lbplugin.table.BalancerTable;
import io.trods.lbplugin.table.Endpoint;
import io.trods.lbplugin.table.TableOp;
import io.trods.lbplugin.table.TableService;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The nftables balancer: DNAT in the table {@code ip trods_balancer}, replaced whole in one
 * transaction by {@code nft -f -}; a removed server's connections are forgotten by deleting their
 * conntrack entries, so that their next packet (with {@code nf_conntrack_tcp_loose=1}) is balanced
 * afresh to a survivor.
 */
public final class NftablesDriver implements BalancerDriver {


    /** The settings this driver depends on, with what goes wrong without them. */
    private static final Map<String, String> SETTINGS = Map.of(
            "net.ipv4.ip_forward", "the director does not forward packets to the servers",
            "net.netfilter.nf_conntrack_tcp_loose",
            "a removed server's connections are dropped mid-stream instead of balanced afresh to a survivor");

    private final CommandRunner runner;
    private final NftablesRenderer renderer;
    private final NftablesTableReader reader = new NftablesTableReader();
    private final SysctlFiles sysctls;
    private final boolean manageSysctls;
    private final Duration timeout;

    public NftablesDriver(CommandRunner runner, NftablesRenderer renderer, SysctlFiles sysctls, boolean manageSysctls,
            Duration timeout) {
        this.runner = runner;
        this.renderer = renderer;
        this.sysctls = sysctls;
        this.manageSysctls = manageSysctls;
        this.timeout = timeout;
    }

    @Override
    public String name() {
        return "nftables";
    }

    @Override
    public BalancerTable read() throws DriverException {
        CommandResult result = run("read", List.of("nft", "-j", "list", "table", "ip", NftablesRenderer.TABLE), null);
        if (!result.ok()) {
            if (result.stderr().contains("No such file or directory")) {
                return BalancerTable.empty(); // never applied: nothing there
            }
            throw new DriverException("read", result.exitCode(), result.stderr(), describe(result));
        }
        try {
            return reader.read(result.stdout());
        } catch (IllegalArgumentException e) {
            throw new DriverException("read", 0, result.stderr(), e.getMessage(), e);
        }
    }

    @Override
    public void apply(List<TableOp> ops, BalancerTable desired) throws DriverException {
        String transaction;
        try {
            transaction = renderer.render(desired);
        } catch (IllegalArgumentException e) {
            throw new DriverException("apply", 0, "", e.getMessage(), e);
        }
        CommandResult result = run("apply", List.of("nft", "-f", "-"), transaction.getBytes(StandardCharsets.UTF_8));
        if (!result.ok()) {
            throw new DriverException("apply", result.exitCode(), result.stderr(), describe(result));
        }
    }

    @Override
    public void forgetConnections(Endpoint service, String backendAddress) throws DriverException {
        CommandResult result = run("forget", List.of("conntrack", "-D", "-p", "tcp", "--orig-dst", service.address(),
                "--dport", String.valueOf(service.port()), "--reply-src", backendAddress), null);
        // conntrack exits 1 when nothing matched: for us that is "already forgotten".
        boolean nothingToDelete = result.exitCode() == 1
                && (result.stderr() + result.stdout()).contains("0 flow entries");
        if (!result.ok() && !nothingToDelete) {
            throw new DriverException("forget", result.exitCode(), result.stderr(), describe(result));
        }
    }

    @Override
    public List<SettingCheck> checkSettings() {
        List<SettingCheck> checks = new ArrayList<>();
        for (String name : new TreeMap<>(SETTINGS).keySet()) {
            checks.add(check(name, "1", SETTINGS.get(name)));
        }
        return checks;
    }

    /** Drained members are not in the map and weights survive only as ratios: see {@link NftablesRenderer}. */
    @Override
    public BalancerTable kernelView(BalancerTable desired) {
        List<TableService> services = new ArrayList<>();
        for (TableService service : desired.services().values()) {
            var members = Weights.eligible(service);
            int divisor = Weights.commonDivisor(members);
            TreeMap<Endpoint, Integer> backends = new TreeMap<>();
            members.forEach(m -> backends.put(m.getKey(), m.getValue() / divisor));
            services.add(service.withBackends(backends));
        }
        return BalancerTable.of(services);
    }

    private SettingCheck check(String name, String expected, String why) {
        return SettingChecks.check(sysctls, name, expected, why, manageSysctls, () -> { },
                "the setting is absent: its module is not loaded yet");
    }

    private CommandResult run(String operation, List<String> argv, byte[] stdin) throws DriverException {
        try {
            return runner.run(argv, stdin == null ? new byte[0] : stdin, timeout);
        } catch (IOException e) {
            throw new DriverException(operation, -1, "", String.join(" ", argv) + ": " + e.getMessage(), e);
        }
    }

    private static String describe(CommandResult result) {
        String text = result.stderr().isBlank() ? result.stdout() : result.stderr();
        return text.isBlank() ? "no message" : text.strip();
    }
}
