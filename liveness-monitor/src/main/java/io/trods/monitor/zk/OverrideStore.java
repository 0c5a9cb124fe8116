package io.trods.monitor.zk;

import io.trods.control.ControlCodec;
import io.trods.control.ServerOverride;
import io.trods.control.ZkLayout;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;

/**
 * Operators' drains and weights, written as persistent znodes so that they survive monitor restarts
 * and leader changes; every instance reads them back through {@link ControlPlaneView}.
 */
public final class OverrideStore {

    private final CuratorFramework client;
    private final ZkLayout layout;
    private final ControlCodec codec = new ControlCodec();

    public OverrideStore(CuratorFramework client, ZkLayout layout) {
        this.client = client;
        this.layout = layout;
    }

    /**
     * Writes the override (replacing any earlier one of the server).
     *
     * @throws ZooKeeperUnavailableException when there is no connection: Curator would otherwise
     *     retry for a long time, and the operator should know at once
     */
    public void write(ServerOverride override) {
        if (!client.getZookeeperClient().isConnected()) {
            throw new ZooKeeperUnavailableException("ZooKeeper is unreachable: the override of "
                    + override.serverId() + " was not stored");
        }
        try {
            client.create().orSetData().creatingParentsIfNeeded().withMode(CreateMode.PERSISTENT)
                    .forPath(layout.override(override.serverId()), codec.encode(override));
        } catch (Exception e) {
            throw new ZooKeeperUnavailableException("storing the override of " + override.serverId() + " failed: " + e, e);
        }
    }

    /** Thrown when an operator's change cannot be stored. */
    public static final class ZooKeeperUnavailableException extends RuntimeException {

        public ZooKeeperUnavailableException(String message) {
            super(message);
        }

        public ZooKeeperUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
