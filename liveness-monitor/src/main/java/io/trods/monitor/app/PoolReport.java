package io.trods.monitor.app;

import io.trods.control.DirectorStatus;
import java.util.List;

/** What {@code GET /actuator/pool} answers. */
public record PoolReport(String id, String leader, boolean isLeader, String zookeeper, long publishedVersion,
        String publishedBy, long publishedAtMillis, List<ServiceReport> services, List<DirectorStatus> directors) {

    public record ServiceReport(String name, String endpoint, String scheduler, String forwarding,
            List<ServerReport> servers) {
    }

    /**
     * @param inBackends in the published backend set
     * @param failed listed as failed in the published document
     * @param weight the published weight (-1 when not a published backend)
     */
    /** @param probe how the server is probed for this service (e.g. {@code http://10.0.0.1:80/healthz}) */
    public record ServerReport(String serverId, String address, int port, String source, String probe, String health,
            long sinceMillis, String reason, List<ProbeReport> recentProbes, int weight, boolean drained,
            boolean inBackends, boolean failed) {
    }

    public record ProbeReport(String outcome, double latencyMillis, String detail, long atMillis) {
    }
}
