package io.trods.control;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The monitor leader's decision: every virtual service and its backends. {@code version} grows by
 * one with every publication (the leader writes it with a compare-and-set on the znode), so a
 * plugin can tell new from old and a deposed leader cannot overwrite its successor.
 */
public record DesiredState(long version, long publishedAtMillis, String publishedBy,
        List<VirtualService> services) {

    public DesiredState {
        if (version < 1) {
            throw new IllegalArgumentException("version must be >= 1, got " + version);
        }
        publishedBy = publishedBy == null ? "" : publishedBy;
        services = List.copyOf(services == null ? List.of() : services);
        Set<String> names = new HashSet<>();
        Set<String> endpoints = new HashSet<>();
        for (VirtualService s : services) {
            if (!names.add(s.name()) || !endpoints.add(s.endpoint())) {
                throw new IllegalArgumentException("virtual service " + s.name() + " (" + s.endpoint() + ") is listed twice");
            }
        }
    }

    /** Same services, backends and failures, ignoring version and publication metadata. */
    public boolean sameDecisionAs(DesiredState other) {
        return other != null && services.equals(other.services);
    }

    public DesiredState next(long nowMillis, String publisher, List<VirtualService> newServices) {
        return new DesiredState(version + 1, nowMillis, publisher, newServices);
    }
}
