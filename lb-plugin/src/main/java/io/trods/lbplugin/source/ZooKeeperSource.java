package io.trods.lbplugin.source;

import io.trods.control.ControlCodec;
import io.trods.control.DesiredState;
import io.trods.control.ZkLayout;
import java.util.function.Predicate;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the monitor leader's desired state ({@code ROOT/desired}) with a Curator cache. Without
 * ZooKeeper (SUSPENDED, LOST) nothing changes in the kernel: the director keeps balancing with the
 * last applied table (fail-static). On reconnection it reads the znode again, in case the cache
 * missed a version while away.
 */
public final class ZooKeeperSource implements DesiredStateSource {

    private static final Logger log = LoggerFactory.getLogger(ZooKeeperSource.class);

    private final CuratorFramework client;
    private final String path;
    private final DocumentIntake intake;
    private final ConnectionStateListener connectionListener = (c, state) -> connectionChanged(state);
    private CuratorCache cache;
    private volatile ConnectionState connection;

    public ZooKeeperSource(CuratorFramework client, ZkLayout layout, ControlCodec codec, Predicate<DesiredState> sink) {
        this.client = client;
        this.path = layout.desired();
        this.intake = new DocumentIntake(codec, sink, "ZooKeeper " + path);
    }

    @Override
    public void start() {
        client.getConnectionStateListenable().addListener(connectionListener);
        if (client.getZookeeperClient().isConnected()) {
            connection = ConnectionState.CONNECTED;
        }
        cache = CuratorCache.build(client, path, CuratorCache.Options.SINGLE_NODE_CACHE);
        cache.listenable().addListener(CuratorCacheListener.builder()
                .forCreatesAndChanges((before, node) -> intake.accept(node.getData()))
                .build());
        cache.start();
    }

    private void connectionChanged(ConnectionState state) {
        connection = state;
        if (state.isConnected()) {
            log.info("ZooKeeper {}: reading {}", state, path);
            reread();
        } else {
            log.warn("ZooKeeper {}: keeping the last applied table (fail-static)", state);
        }
    }

    private void reread() {
        try {
            client.getData().inBackground((c, event) -> {
                if (event.getResultCode() == 0) {
                    intake.accept(event.getData());
                }
            }).forPath(path);
        } catch (Exception e) {
            log.warn("could not read {}: {}", path, e.toString());
        }
    }

    @Override
    public SourceStatus status() {
        ConnectionState state = connection;
        boolean connected = state != null && state.isConnected();
        return new SourceStatus("zookeeper", state == null ? "CONNECTING" : state.name(), connected,
                state != null && !connected, intake.invalidDocuments(), intake.lastInvalidReason(),
                intake.lastSeenVersion());
    }

    @Override
    public void close() {
        client.getConnectionStateListenable().removeListener(connectionListener);
        if (cache != null) {
            cache.close();
        }
    }
}
