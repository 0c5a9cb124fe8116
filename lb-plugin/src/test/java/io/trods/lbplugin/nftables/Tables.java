package io.trods.lbplugin.nftables;

import io.trods.lbplugin.table.BalancerTable;
import io.trods.lbplugin.table.Endpoint;
import io.trods.lbplugin.table.TableService;
import java.util.List;
import java.util.TreeMap;

/** Small tables for the nftables tests. */
final class Tables {

    private Tables() {}

    /** {@code service("198.19.0.1:80", "rr", "198.19.0.11:80", 1, "198.19.0.12:80", 1)}. */
    static TableService service(String vip, String scheduler, Object... backendsAndWeights) {
        TreeMap<Endpoint, Integer> backends = new TreeMap<>();
        for (int i = 0; i < backendsAndWeights.length; i += 2) {
            backends.put(Endpoint.parse((String) backendsAndWeights[i]), (Integer) backendsAndWeights[i + 1]);
        }
        return new TableService(Endpoint.parse(vip), scheduler, "nat", backends);
    }

    static BalancerTable table(TableService... services) {
        return BalancerTable.of(List.of(services));
    }

    /** The table that {@code list-table.json} holds. */
    static BalancerTable listed() {
        return table(
                service("198.19.0.1:80", "rr", "198.19.0.11:80", 1, "198.19.0.12:80", 1),
                service("198.19.0.2:80", "mh", "198.19.0.11:80", 1, "198.19.0.12:80", 1),
                service("198.19.0.3:80", "wlc", "198.19.0.11:80", 3, "198.19.0.12:80", 2),
                service("198.19.0.4:80", "wlc", "198.19.0.11:8080", 3, "198.19.0.12:80", 2),
                service("198.19.0.5:80", "rr"));
    }
}
