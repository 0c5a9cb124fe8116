package io.trods.monitor.probe;

/** One check of one endpoint; never throws, every failure is a result. */
@FunctionalInterface
public interface Probe {

    ProbeResult check(ServerEndpoint endpoint);
}
