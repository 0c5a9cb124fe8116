package io.trods.lbplugin.nftables;

import io.trods.lbplugin.table.BalancerTable;
import io.trods.lbplugin.table.Endpoint;
import io.trods.lbplugin.table.TableService;
import java.util.List;
import java.util.Map;

/**
 * Renders a whole {@link BalancerTable} as one {@code nft -f -} transaction that atomically replaces
 * the table {@code ip trods_balancer}: the add-then-delete pair makes the delete succeed whether or
 * not the table exists, and the kernel commits the three statements together.
 *
 * <p>Each service is one DNAT rule picking a member by a map keyed on a generated number: the
 * members' weights (divided by their common divisor) become ranges of that number. Drained members
 * (weight 0) get no range: their existing connections keep their conntrack entries. A service with
 * no member left resets new connections. The rule's comment keeps the scheduler and forwarding, which
 * the rule itself cannot tell, so that {@link NftablesTableReader} reads back what was written.
 */
public final class NftablesRenderer {

    public static final String TABLE = "trods_balancer";
    /**
     * An explicit jhash seed: without one the kernel draws a random seed per rule, and two directors
     * would send the same connection to different servers.
     */
    public static final String JHASH_SEED = "0x54524f44";

    private final String backendInterface;

    /** @param backendInterface where the servers are ({@code eth1}); empty: no prompt rules */
    public NftablesRenderer(String backendInterface) {
        this.backendInterface = backendInterface == null ? "" : backendInterface;
        if (!this.backendInterface.isEmpty() && !this.backendInterface.matches("[A-Za-z0-9_.:-]{1,15}")) {
            throw new IllegalArgumentException("not an interface name: '" + backendInterface + "'");
        }
    }

    /** @throws IllegalArgumentException for what nftables cannot do (direct routing) */
    public String render(BalancerTable table) {
        StringBuilder out = new StringBuilder();
        out.append("add table ip ").append(TABLE).append('\n');
        out.append("delete table ip ").append(TABLE).append('\n');
        out.append("table ip ").append(TABLE).append(" {\n");
        if (!backendInterface.isEmpty()) {
            // A survivor's prompt to a failed server's client comes from the VIP; if it created a
            // conntrack entry, the client's answer would follow it instead of being balanced afresh.
            out.append("\tchain prompts {\n");
            out.append("\t\ttype filter hook prerouting priority raw; policy accept;\n");
            for (Endpoint vip : table.services().keySet()) {
                out.append("\t\tiifname \"").append(backendInterface).append("\" ip saddr ").append(vip.address())
                        .append(" tcp sport ").append(vip.port()).append(" notrack\n");
            }
            out.append("\t}\n");
        }
        out.append("\tchain prerouting {\n");
        out.append("\t\ttype nat hook prerouting priority dstnat; policy accept;\n");
        for (TableService service : table.services().values()) {
            out.append("\t\t").append(rule(service)).append('\n');
        }
        out.append("\t}\n");
        out.append("}\n");
        return out.toString();
    }

    private static String rule(TableService service) {
        if (!"nat".equals(service.forwarding())) {
            throw new IllegalArgumentException("service " + service.key() + ": nftables forwards by NAT only, not '"
                    + service.forwarding() + "' (direct routing needs the ipvs driver)");
        }
        Endpoint vip = service.key();
        String match = "ip daddr " + vip.address() + " tcp dport " + vip.port();
        String comment = " comment \"" + service.scheduler() + " " + service.forwarding() + "\"";
        List<Map.Entry<Endpoint, Integer>> members = Weights.eligible(service);
        if (members.isEmpty()) {
            return match + " reject with tcp reset" + comment;
        }
        int divisor = Weights.commonDivisor(members);
        long total = 0;
        boolean withPorts = members.stream().anyMatch(m -> m.getKey().port() != vip.port());
        StringBuilder map = new StringBuilder();
        for (Map.Entry<Endpoint, Integer> member : members) {
            long width = member.getValue() / divisor;
            map.append(map.length() == 0 ? "" : ", ");
            map.append(width == 1 ? String.valueOf(total) : total + "-" + (total + width - 1));
            map.append(" : ").append(member.getKey().address());
            if (withPorts) {
                map.append(" . ").append(member.getKey().port());
            }
            total += width;
        }
        String dnat = withPorts ? " dnat ip addr . port to " : " dnat to ";
        return match + dnat + selector(service.scheduler(), total) + " map { " + map + " }" + comment;
    }

    private static String selector(String scheduler, long modulus) {
        return switch (scheduler) {
            case "rr" -> "numgen inc mod " + modulus;
            // Hashing the connection's source gives every director the same choice.
            case "mh", "sh" -> "jhash ip saddr . tcp sport mod " + modulus + " seed " + JHASH_SEED;
            default -> "numgen random mod " + modulus;
        };
    }
}
