package io.trods.monitor.zk;

import io.trods.control.ControlCodec;
import io.trods.control.DesiredState;
import io.trods.control.InvalidDocumentException;
import io.trods.control.ZkLayout;
import io.trods.monitor.decision.Outcome;
import io.trods.monitor.zk.PublishResult.Kind;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a decision with a compare-and-set on {@code layout.desired()}: read the document and its
 * znode version, decide, write {@code previous.next(...)} only if the znode is unchanged. A deposed
 * leader's late write therefore fails instead of overwriting its successor, and versions only grow.
 * {@code mayWrite} (leadership and a live connection) is checked before the read and again before
 * the write.
 */
public final class Publisher {

    private static final Logger log = LoggerFactory.getLogger(Publisher.class);

    private final CuratorFramework client;
    private final ZkLayout layout;
    private final String publisherId;
    private final BooleanSupplier mayWrite;
    private final ControlCodec codec = new ControlCodec();

    public Publisher(CuratorFramework client, ZkLayout layout, String publisherId, BooleanSupplier mayWrite) {
        this.client = client;
        this.layout = layout;
        this.publisherId = publisherId;
        this.mayWrite = mayWrite;
    }

    /**
     * @param decide the decision for the document currently published (null when there is none);
     *     returns null to publish nothing this time (warming up)
     */
    public PublishResult publish(Function<DesiredState, Outcome> decide, long nowMillis) {
        if (!mayWrite.getAsBoolean()) {
            return new PublishResult(Kind.NOT_ALLOWED, null, null, "not leader or not connected");
        }
        try {
            Stat stat = new Stat();
            byte[] bytes = read(stat);
            DesiredState previous = null;
            long nextVersion = 1;
            if (bytes != null) {
                try {
                    previous = codec.desiredState(bytes);
                    nextVersion = previous.version() + 1;
                } catch (InvalidDocumentException e) {
                    // Every write of ours adds one to both versions, so this stays ahead of what plugins saw.
                    nextVersion = stat.getVersion() + 2L;
                    log.warn("the published document is invalid ({}); replacing it with version {}", e.getMessage(), nextVersion);
                }
            }
            Outcome outcome = decide.apply(previous);
            if (outcome == null) {
                return new PublishResult(Kind.WARMING_UP, previous, null, "waiting for first probe verdicts");
            }
            DesiredState next = new DesiredState(nextVersion, nowMillis, publisherId, outcome.services());
            if (next.sameDecisionAs(previous)) {
                return new PublishResult(Kind.UNCHANGED, previous, outcome, "");
            }
            if (!mayWrite.getAsBoolean()) {
                return new PublishResult(Kind.NOT_ALLOWED, previous, outcome, "lost leadership or connection while deciding");
            }
            if (bytes == null) {
                client.create().creatingParentsIfNeeded().forPath(layout.desired(), codec.encode(next));
            } else {
                client.setData().withVersion(stat.getVersion()).forPath(layout.desired(), codec.encode(next));
            }
            return new PublishResult(Kind.PUBLISHED, next, outcome, "");
        } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException e) {
            return new PublishResult(Kind.CONFLICT, null, null, "the document changed under us: " + e.code());
        } catch (KeeperException.ConnectionLossException | KeeperException.SessionExpiredException e) {
            // The connection went while an attempt was in flight: nothing was written, the state listener stops the next.
            return new PublishResult(Kind.NOT_ALLOWED, null, null, "connection lost while publishing: " + e.code());
        } catch (Exception e) {
            return new PublishResult(Kind.ERROR, null, null, e.toString());
        }
    }

    private byte[] read(Stat stat) throws Exception {
        try {
            return client.getData().storingStatIn(stat).forPath(layout.desired());
        } catch (KeeperException.NoNodeException e) {
            return null;
        }
    }
}
