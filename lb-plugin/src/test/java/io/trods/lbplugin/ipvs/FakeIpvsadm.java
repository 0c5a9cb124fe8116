package io.trods.lbplugin.ipvs;

import io.trods.lbplugin.driver.CommandRunner;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A CommandRunner that behaves like ipvsadm 1.31 over an IPVS table, and like sysctl over a few
 * settings: the messages, exit status 255 and the -Ln layout are those captured from the real tool
 * in the lab guest. Services are listed in insertion order, as the kernel's hash walk is not sorted
 * either. Every command is recorded.
 */
final class FakeIpvsadm implements CommandRunner {

    record Dest(String forward, int weight) {}

    record Service(String scheduler, String flags, Map<String, Dest> dests) {}

    final Map<String, Service> services = new LinkedHashMap<>();
    final Map<String, String> sysctls = new HashMap<>();
    final List<String> commands = new ArrayList<>();

    @Override
    public CommandResult run(List<String> argv, byte[] stdin, Duration timeout) throws IOException {
        commands.add(String.join(" ", argv));
        return switch (argv.get(0)) {
            case "ipvsadm" -> ipvsadm(argv);
            case "sysctl" -> sysctl(argv);
            case "modprobe" -> new CommandResult(0, "", "");
            default -> throw new IOException("Cannot run program \"" + argv.get(0) + "\": error=2, No such file or directory");
        };
    }

    private CommandResult sysctl(List<String> argv) {
        if (argv.get(1).equals("-w")) {
            String[] kv = argv.get(2).split("=", 2);
            if (!sysctls.containsKey(kv[0])) {
                return new CommandResult(1, "", "sysctl: error: '" + kv[0] + "' is an unknown key\n");
            }
            sysctls.put(kv[0], kv[1]);
            return new CommandResult(0, kv[0] + " = " + kv[1] + "\n", "");
        }
        String value = sysctls.get(argv.get(2));
        return value == null ? new CommandResult(1, "", "sysctl: error: '" + argv.get(2) + "' is an unknown key\n")
                : new CommandResult(0, value + "\n", "");
    }

    private CommandResult ipvsadm(List<String> argv) {
        String verb = argv.get(1);
        if (verb.equals("-L")) {
            return new CommandResult(0, listing(), "");
        }
        if (verb.equals("-C")) {
            services.clear();
            return new CommandResult(0, "", "");
        }
        String vip = option(argv, "-t");
        Service service = services.get(vip);
        switch (verb) {
            case "-A", "-E" -> {
                if (verb.equals("-A") && service != null) {
                    return error("Service already exists");
                }
                if (verb.equals("-E") && service == null) {
                    return error("No such service");
                }
                String flags = option(argv, "-b");
                Map<String, Dest> dests = service == null ? new LinkedHashMap<>() : service.dests();
                services.put(vip, new Service(option(argv, "-s"), flags == null ? "" : flags, dests));
            }
            case "-D" -> {
                if (services.remove(vip) == null) {
                    return error("No such service");
                }
            }
            case "-a", "-e", "-d" -> {
                if (service == null) {
                    return error(verb.equals("-a") ? "Service not defined" : "No such service");
                }
                String rs = option(argv, "-r");
                boolean exists = service.dests().containsKey(rs);
                if (verb.equals("-a") && exists) {
                    return error("Destination already exists");
                }
                if (!verb.equals("-a") && !exists) {
                    return error("No such destination");
                }
                if (verb.equals("-d")) {
                    service.dests().remove(rs);
                } else {
                    String forward = argv.contains("-g") ? "Route" : argv.contains("-i") ? "Tunnel" : "Masq";
                    String w = option(argv, "-w");
                    service.dests().put(rs, new Dest(forward, w == null ? 1 : Integer.parseInt(w)));
                }
            }
            default -> {
                return new CommandResult(2, "", "ipvsadm: invalid option -- '" + verb + "'\n");
            }
        }
        return new CommandResult(0, "", "");
    }

    private String listing() {
        StringBuilder out = new StringBuilder("""
                IP Virtual Server version 1.2.1 (size=4096)
                Prot LocalAddress:Port Scheduler Flags
                  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
                """);
        services.forEach((vip, s) -> {
            out.append("TCP  ").append(vip).append(' ').append(s.scheduler());
            if (!s.flags().isEmpty()) {
                out.append(" (").append(s.flags()).append(')');
            }
            out.append('\n');
            s.dests().forEach((rs, d) ->
                    out.append(String.format("  -> %-28s %-7s %-6d %-10d %-10d%n", rs, d.forward(), d.weight(), 0, 0)));
        });
        return out.toString();
    }

    private static CommandResult error(String message) {
        return new CommandResult(255, "", message + "\n");
    }

    private static String option(List<String> argv, String name) {
        int i = argv.indexOf(name);
        return i < 0 ? null : argv.get(i + 1);
    }
}
