package io.trods.lbplugin.reconcile;

import io.trods.control.Backend;
import io.trods.control.DesiredState;
import io.trods.control.FailedServer;
import io.trods.control.VirtualService;
import java.util.ArrayList;
import java.util.List;

/** Builds desired states for tests: one service web on 198.19.0.1:80, servers s1.. on 198.19.0.1x:80. */
public final class States {

    public static final String VIP = "198.19.0.1";

    private States() {}

    public static Backend server(int n, int weight) {
        return new Backend("s" + n, "198.19.0.1" + n, 80, weight);
    }

    public static FailedServer failed(int n) {
        return new FailedServer("s" + n, "198.19.0.1" + n, "probe timeout", 1_000);
    }

    public static VirtualService web(String scheduler, List<Backend> backends, List<FailedServer> failed) {
        return new VirtualService("web", VIP, 80, "tcp", scheduler, "nat", backends, failed);
    }

    public static DesiredState state(long version, VirtualService... services) {
        return new DesiredState(version, 1_000 + version, "monitor-a", new ArrayList<>(List.of(services)));
    }

    public static DesiredState web(long version, Backend... backends) {
        return state(version, web("rr", List.of(backends), List.of()));
    }
}
