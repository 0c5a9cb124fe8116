package io.trods.lbplugin.ipvs;

import io.trods.lbplugin.table.BalancerTable;
import io.trods.lbplugin.table.Endpoint;
import io.trods.lbplugin.table.TableService;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses {@code ipvsadm -Ln} into a table. What the table cannot express is mapped so that a diff
 * against the desired table repairs it:
 * <ul>
 *   <li>services other than IPv4 TCP (UDP, SCTP, firewall marks, IPv6) are not TRODS's and are skipped;</li>
 *   <li>scheduler flags or persistence other than what {@link IpvsCommands} renders are appended to
 *       the scheduler ({@code "sh (sh-fallback,sh-port) persistent 30"}, or {@code "mh (no mh-port)"}
 *       for a hashing scheduler without port hashing), so the service differs and
 *       is edited back;</li>
 *   <li>forwarding is per real server in IPVS: a service's is its servers' ({@code Masq} → nat,
 *       {@code Route} → dr, others lower-cased), {@code mixed} when they differ, and {@code nat} for a
 *       service without servers (IPVS keeps nothing there; {@link IpvsDriver#kernelView} says the same).</li>
 * </ul>
 */
public final class IpvsTableReader {

    /** Forwarding reported for a service without real servers. */
    public static final String EMPTY_SERVICE_FORWARDING = "nat";

    private static final Pattern SERVICE = Pattern.compile("^(TCP|UDP|SCTP|FWM)\\s+(\\S+)\\s+(\\S+)\\s*(.*)$");
    private static final Pattern SERVER = Pattern.compile("^\\s+->\\s+(\\S+)\\s+(\\S+)\\s+(\\d+)\\s+\\d+\\s+\\d+\\s*$");
    private static final Pattern IPV4_ENDPOINT = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}:\\d{1,5}");

    public BalancerTable read(String listing) {
        List<TableService> services = new ArrayList<>();
        Building current = null;
        boolean skipping = false;
        int lineNo = 0;
        for (String line : listing.split("\n")) {
            lineNo++;
            if (line.isBlank() || line.startsWith("IP Virtual Server") || line.startsWith("Prot LocalAddress")
                    || line.trim().startsWith("-> RemoteAddress")) {
                continue;
            }
            Matcher s = SERVICE.matcher(line);
            if (s.matches()) {
                if (current != null) {
                    services.add(current.build());
                }
                skipping = !s.group(1).equals("TCP") || !IPV4_ENDPOINT.matcher(s.group(2)).matches();
                current = skipping ? null : new Building(Endpoint.parse(s.group(2)), scheduler(s.group(3), s.group(4)));
                continue;
            }
            Matcher r = SERVER.matcher(line);
            if (r.matches()) {
                if (skipping) {
                    continue;
                }
                if (current == null) {
                    throw new IllegalArgumentException("ipvsadm line " + lineNo + ": real server before any service");
                }
                current.add(Endpoint.parse(r.group(1)), forwarding(r.group(2)), Integer.parseInt(r.group(3)));
                continue;
            }
            throw new IllegalArgumentException("ipvsadm line " + lineNo + " not understood: " + line.strip());
        }
        if (current != null) {
            services.add(current.build());
        }
        return BalancerTable.of(services);
    }

    private static String scheduler(String name, String rest) {
        String flags = IpvsCommands.schedulerFlags(name);
        String expected = flags.isEmpty() ? "" : "(" + flags + ")";
        String actual = rest.strip();
        if (actual.equals(expected)) {
            return name;
        }
        return actual.isEmpty() ? name + " (no " + flags + ")" : name + " " + actual;
    }

    private static String forwarding(String method) {
        return switch (method) {
            case "Masq" -> "nat";
            case "Route" -> "dr";
            default -> method.toLowerCase();
        };
    }

    private static final class Building {
        final Endpoint key;
        final String scheduler;
        final TreeMap<Endpoint, Integer> backends = new TreeMap<>();
        final Set<String> forwardings = new LinkedHashSet<>();

        Building(Endpoint key, String scheduler) {
            this.key = key;
            this.scheduler = scheduler;
        }

        void add(Endpoint backend, String forwarding, int weight) {
            backends.put(backend, weight);
            forwardings.add(forwarding);
        }

        TableService build() {
            String forwarding = switch (forwardings.size()) {
                case 0 -> EMPTY_SERVICE_FORWARDING;
                case 1 -> forwardings.iterator().next();
                default -> "mixed";
            };
            return new TableService(key, scheduler, forwarding, backends);
        }
    }
}
