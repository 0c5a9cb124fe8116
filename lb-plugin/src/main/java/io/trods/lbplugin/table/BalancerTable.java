package io.trods.lbplugin.table;

import io.trods.control.Backend;
import io.trods.control.DesiredState;
import io.trods.control.VirtualService;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The balancer's whole table: virtual services keyed by VIP:port. Immutable; built from a
 * {@link DesiredState}, or by a driver from what the kernel holds.
 */
public record BalancerTable(SortedMap<Endpoint, TableService> services) {

    private static final BalancerTable EMPTY = new BalancerTable(Map.of());

    public BalancerTable(Map<Endpoint, TableService> services) {
        this(Collections.unmodifiableSortedMap(new TreeMap<>(services)));
    }

    public BalancerTable {
        services.forEach((key, service) -> {
            if (!key.equals(service.key())) {
                throw new IllegalArgumentException("service " + service.key() + " filed under " + key);
            }
        });
        services = Collections.unmodifiableSortedMap(new TreeMap<>(services));
    }

    public static BalancerTable empty() {
        return EMPTY;
    }

    public static BalancerTable of(Collection<TableService> services) {
        TreeMap<Endpoint, TableService> map = new TreeMap<>();
        for (TableService s : services) {
            if (map.put(s.key(), s) != null) {
                throw new IllegalArgumentException("service " + s.key() + " listed twice");
            }
        }
        return new BalancerTable(map);
    }

    /** The kernel table a desired state asks for: failed servers are simply absent. */
    public static BalancerTable from(DesiredState desired) {
        TreeMap<Endpoint, TableService> map = new TreeMap<>();
        for (VirtualService vs : desired.services()) {
            TreeMap<Endpoint, Integer> backends = new TreeMap<>();
            for (Backend b : vs.backends()) {
                backends.put(new Endpoint(b.address(), b.port()), b.weight());
            }
            Endpoint key = new Endpoint(vs.address(), vs.port());
            map.put(key, new TableService(key, vs.scheduler(), vs.forwarding(), backends));
        }
        return new BalancerTable(map);
    }

    public TableService service(Endpoint key) {
        return services.get(key);
    }

    /** Backends of every service, drained ones included. */
    public int backendCount() {
        return services.values().stream().mapToInt(s -> s.backends().size()).sum();
    }
}
