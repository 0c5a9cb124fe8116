package io.trods.control;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One virtual service (VIP, port) with its real servers, as the balancer should have it.
 *
 * @param scheduler IPVS scheduler name ({@code mh}, {@code rr}, {@code wlc}, ...); the nftables
 *     driver balances by weighted random whatever is named here
 * @param forwarding {@code nat} or {@code dr}
 * @param failed servers taken out because they failed, kept listed so that their connections are
 *     moved and their clients prompted
 */
public record VirtualService(String name, String address, int port, String protocol, String scheduler,
        String forwarding, List<Backend> backends, List<FailedServer> failed) {

    public VirtualService {
        ZkLayout.checkId(name);
        Validation.ipv4(address, "virtual address");
        Validation.port(port, "virtual port");
        if (!"tcp".equals(protocol)) {
            throw new IllegalArgumentException("only protocol tcp is supported, got '" + protocol + "'");
        }
        if (scheduler == null || !scheduler.matches("[a-z]{1,8}")) {
            throw new IllegalArgumentException("scheduler must be an IPVS scheduler name, got '" + scheduler + "'");
        }
        if (!"nat".equals(forwarding) && !"dr".equals(forwarding)) {
            throw new IllegalArgumentException("forwarding must be nat or dr, got '" + forwarding + "'");
        }
        backends = List.copyOf(backends == null ? List.of() : backends);
        failed = List.copyOf(failed == null ? List.of() : failed);
        Set<String> ids = new HashSet<>();
        Set<String> endpoints = new HashSet<>();
        for (Backend b : backends) {
            if (!ids.add(b.serverId()) || !endpoints.add(b.endpoint())) {
                throw new IllegalArgumentException("service " + name + " lists backend " + b.serverId() + " twice");
            }
        }
        for (FailedServer f : failed) {
            if (ids.contains(f.serverId())) {
                throw new IllegalArgumentException("service " + name + " lists " + f.serverId() + " as backend and failed");
            }
        }
    }

    /** The key a balancer knows the service by. */
    public String endpoint() {
        return address + ":" + port;
    }

    public Optional<Backend> backend(String serverId) {
        return backends.stream().filter(b -> b.serverId().equals(serverId)).findFirst();
    }

    public boolean hasFailed(String serverId) {
        return failed.stream().anyMatch(f -> f.serverId().equals(serverId));
    }
}
