package io.trods.agent.control;

import io.trods.control.DesiredState;
import io.trods.control.DirectorStatus;
import io.trods.control.FailedServer;
import io.trods.control.VirtualService;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which failed servers' clients this agent should prompt. A failure is prompted once (the same
 * {@code sinceMillis} seen in later documents is not new), only for the virtual services this agent
 * serves, and never for this agent's own server. Not thread-safe: one caller at a time.
 */
public final class FailureWatch {

    private final String selfId;
    private final Set<String> servedEndpoints;
    /** serverId -> sinceMillis of the failure already handed out. */
    private final Map<String, Long> handled = new HashMap<>();
    private long lastVersion;

    public FailureWatch(String selfId, Set<String> servedEndpoints) {
        this.selfId = selfId;
        this.servedEndpoints = Set.copyOf(servedEndpoints);
    }

    /** The failures in {@code state} not handed out before; older or repeated versions give none. */
    public List<FailedServer> newFailures(DesiredState state) {
        if (state.version() <= lastVersion) {
            return List.of();
        }
        lastVersion = state.version();
        Map<String, FailedServer> fresh = new LinkedHashMap<>();
        Map<String, Long> stillFailed = new HashMap<>();
        for (VirtualService service : state.services()) {
            if (!servedEndpoints.contains(service.endpoint())) {
                continue;
            }
            for (FailedServer failed : service.failed()) {
                if (failed.serverId().equals(selfId)) {
                    continue;
                }
                stillFailed.put(failed.serverId(), failed.sinceMillis());
                Long seen = handled.get(failed.serverId());
                if (seen == null || seen != failed.sinceMillis()) {
                    fresh.putIfAbsent(failed.serverId(), failed);
                }
            }
        }
        // Forget servers no longer failed, so that a later failure of theirs is new again.
        handled.keySet().retainAll(stillFailed.keySet());
        handled.putAll(stillFailed);
        return new ArrayList<>(fresh.values());
    }

    /**
     * Whether every director that reports has applied {@code version}: prompting earlier would send
     * the clients' answers to a director that still forwards them to the dead server. No director
     * reporting at all (a balancer without the lb-plugin) counts as not known to be applied.
     */
    public static boolean appliedByAllDirectors(long version, Collection<DirectorStatus> directors) {
        return !directors.isEmpty() && directors.stream().allMatch(d -> d.appliedVersion() >= version);
    }
}
