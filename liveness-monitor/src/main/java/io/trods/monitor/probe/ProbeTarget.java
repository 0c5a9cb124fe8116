package io.trods.monitor.probe;

/** One server as one spec probes it: the key of a probe loop and of a health record. */
public record ProbeTarget(ServerEndpoint server, ProbeSpec spec) {

    @Override
    public String toString() {
        ServerEndpoint probed = spec.probed(server);
        return spec.type() + "://" + probed + ("tcp".equals(spec.type()) ? "" : spec.path());
    }
}
