package io.trods.monitor.zk;

import io.trods.control.AgentRegistration;
import io.trods.control.ControlCodec;
import io.trods.control.DesiredState;
import io.trods.control.DirectorStatus;
import io.trods.control.InvalidDocumentException;
import io.trods.control.ServerOverride;
import io.trods.control.ZkLayout;
import java.io.Closeable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every instance's read side of ZooKeeper, kept by Curator caches: agent registrations, operators'
 * overrides, the directors' statuses and the published decision. A malformed znode is skipped (and
 * logged), never half-read. {@code onChange} runs on Curator's event thread and must be quick.
 */
public final class ControlPlaneView implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(ControlPlaneView.class);

    private final ZkLayout layout;
    private final ControlCodec codec = new ControlCodec();
    private final CuratorCache agents;
    private final CuratorCache overrides;
    private final CuratorCache directors;
    private final CuratorCache desired;
    private final Runnable onChange;

    public ControlPlaneView(CuratorFramework client, ZkLayout layout, Runnable onChange) {
        this.layout = layout;
        this.onChange = onChange;
        this.agents = CuratorCache.build(client, layout.agents());
        this.overrides = CuratorCache.build(client, layout.overrides());
        this.directors = CuratorCache.build(client, layout.directors());
        this.desired = CuratorCache.build(client, layout.desired(), CuratorCache.Options.SINGLE_NODE_CACHE);
    }

    public void start() {
        for (CuratorCache cache : List.of(agents, overrides, directors, desired)) {
            cache.listenable().addListener((type, before, after) -> onChange.run());
            cache.start();
        }
    }

    public List<AgentRegistration> agents() {
        return children(agents, layout.agents(), AgentRegistration.class);
    }

    public Map<String, ServerOverride> overrides() {
        Map<String, ServerOverride> byServer = new HashMap<>();
        for (ServerOverride o : children(overrides, layout.overrides(), ServerOverride.class)) {
            byServer.put(o.serverId(), o);
        }
        return byServer;
    }

    public List<DirectorStatus> directors() {
        List<DirectorStatus> list = children(directors, layout.directors(), DirectorStatus.class);
        list.sort(Comparator.comparing(DirectorStatus::directorId));
        return list;
    }

    /** The published decision as last seen by the cache (the publisher reads its own copy for the CAS). */
    public Optional<DesiredState> desired() {
        return desired.get(layout.desired()).map(ChildData::getData).flatMap(bytes -> decode(bytes, DesiredState.class, layout.desired()));
    }

    private <T> List<T> children(CuratorCache cache, String parent, Class<T> type) {
        List<T> list = new ArrayList<>();
        cache.stream().filter(d -> isChild(parent, d.getPath()))
                .forEach(d -> decode(d.getData(), type, d.getPath()).ifPresent(list::add));
        return list;
    }

    private static boolean isChild(String parent, String path) {
        return path.startsWith(parent + "/") && path.indexOf('/', parent.length() + 1) < 0;
    }

    private <T> Optional<T> decode(byte[] bytes, Class<T> type, String path) {
        try {
            return Optional.of(codec.decode(bytes, type));
        } catch (InvalidDocumentException e) {
            log.debug("skipping {}: {}", path, e.getMessage());
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        for (CuratorCache cache : List.of(agents, overrides, directors, desired)) {
            cache.close();
        }
    }
}
