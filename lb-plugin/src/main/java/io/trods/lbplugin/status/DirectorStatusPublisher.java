package io.trods.lbplugin.status;

import io.trods.control.ControlCodec;
import io.trods.control.DirectorStatus;
import io.trods.control.ZkLayout;
import io.trods.lbplugin.reconcile.SyncRecord;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.zookeeper.CreateMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes what this director applied as an ephemeral {@code ROOT/directors/ID} znode. Curator's
 * {@link PersistentNode} recreates it after a session loss, with the latest data.
 */
public final class DirectorStatusPublisher implements Consumer<SyncRecord>, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DirectorStatusPublisher.class);

    private final String directorId;
    private final String driver;
    private final ControlCodec codec;
    private final PersistentNode node;
    private final AtomicReference<byte[]> latest = new AtomicReference<>();

    public DirectorStatusPublisher(CuratorFramework client, ZkLayout layout, String directorId, String driver,
            ControlCodec codec) {
        this.directorId = directorId;
        this.driver = driver;
        this.codec = codec;
        latest.set(codec.encode(new DirectorStatus(directorId, driver, 0, 0, "")));
        this.node = new PersistentNode(client, CreateMode.EPHEMERAL, false, layout.director(directorId), latest.get());
        // setData is refused until the node exists: write the latest status once it does.
        node.getListenable().addListener(path -> push());
    }

    public void start() {
        node.start();
    }

    @Override
    public void accept(SyncRecord sync) {
        latest.set(codec.encode(
                new DirectorStatus(directorId, driver, sync.appliedVersion(), sync.appliedAtMillis(), sync.error())));
        push();
    }

    private void push() {
        try {
            node.setData(latest.get());
        } catch (IllegalStateException notCreatedYet) {
            // The node listener pushes the latest status when the node is created.
        } catch (Exception e) {
            log.warn("could not publish the director status: {}", e.toString());
        }
    }

    @Override
    public void close() {
        try {
            node.close();
        } catch (IOException e) {
            log.debug("closing the director status node: {}", e.toString());
        }
    }
}
