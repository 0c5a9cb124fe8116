package io.trods.lbplugin.table;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One virtual service as a kernel balancer holds it: no names, only what IPVS or nftables can
 * store. {@code backends} maps each real server's address:port to its weight (0 = drained).
 */
public record TableService(Endpoint key, String scheduler, String forwarding, SortedMap<Endpoint, Integer> backends) {

    public TableService {
        if (key == null || scheduler == null || forwarding == null) {
            throw new IllegalArgumentException("key, scheduler and forwarding are required");
        }
        TreeMap<Endpoint, Integer> copy = new TreeMap<>(backends == null ? Map.of() : backends);
        copy.forEach((endpoint, weight) -> {
            if (weight == null || weight < 0 || weight > 65535) {
                throw new IllegalArgumentException("backend " + endpoint + " of " + key + " has weight " + weight);
            }
        });
        backends = Collections.unmodifiableSortedMap(copy);
    }

    /** Same service attributes (scheduler, forwarding), whatever the backends. */
    public boolean sameAttributes(TableService other) {
        return scheduler.equals(other.scheduler) && forwarding.equals(other.forwarding);
    }

    public TableService withBackends(Map<Endpoint, Integer> newBackends) {
        return new TableService(key, scheduler, forwarding, new TreeMap<>(newBackends));
    }
}
