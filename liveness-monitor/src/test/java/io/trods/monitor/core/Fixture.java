package io.trods.monitor.core;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.trods.control.ControlCodec;
import io.trods.control.DesiredState;
import io.trods.control.ZkLayout;
import io.trods.monitor.config.MonitorProperties;
import io.trods.monitor.probe.ProbeSpec;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.KeeperException;

/** Loopback web servers whose health endpoint a test can break, and monitor instances on a test ZooKeeper. */
final class Fixture {

    static final ZkLayout LAYOUT = ZkLayout.defaults();
    static final ControlCodec CODEC = new ControlCodec();

    /** A web server answering /healthz with {@code status}. */
    static final class WebServer implements AutoCloseable {
        final HttpServer server;
        final AtomicInteger status = new AtomicInteger(200);

        WebServer() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/healthz", exchange -> {
                exchange.sendResponseHeaders(status.get(), -1);
                exchange.close();
            });
            server.start();
        }

        int port() {
            return server.getAddress().getPort();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    static MonitorProperties properties(String id, WebServer... servers) {
        List<MonitorProperties.StaticServer> statics = new java.util.ArrayList<>();
        for (int i = 0; i < servers.length; i++) {
            statics.add(new MonitorProperties.StaticServer("s" + (i + 1), "127.0.0.1", servers[i].port(), null));
        }
        return new MonitorProperties(id,
                new MonitorProperties.Zookeeper("unused", Duration.ofSeconds(2), null, null, null),
                List.of(new MonitorProperties.Service("web", "198.18.0.10", 80, "rr", null, statics, null)),
                new MonitorProperties.Probe("http", "/healthz", 200, Duration.ofMillis(20), Duration.ofMillis(150), null, 2, 2, null),
                0.5, null, Duration.ofMillis(200), null);
    }

    static CuratorFramework client(String connect) {
        return CuratorFrameworkFactory.builder().connectString(connect).sessionTimeoutMs(2_000)
                .connectionTimeoutMs(1_000).retryPolicy(new RetryOneTime(100)).build();
    }

    static MonitorCore core(MonitorProperties props, CuratorFramework client) throws Exception {
        MonitorCore core = new MonitorCore(props, client, new SimpleMeterRegistry(), ProbeSpec::newProbe);
        core.start();
        return core;
    }

    /** The published document, or null when there is none. */
    static DesiredState desired(CuratorFramework reader) throws Exception {
        try {
            return CODEC.desiredState(reader.getData().forPath(LAYOUT.desired()));
        } catch (KeeperException.NoNodeException e) {
            return null;
        }
    }

    private Fixture() {}
}
