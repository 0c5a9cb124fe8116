package io.trods.agent.control;

import io.trods.control.AgentRegistration;
import io.trods.control.ControlCodec;
import io.trods.control.DesiredState;
import io.trods.control.DirectorStatus;
import io.trods.control.FailedServer;
import io.trods.control.InvalidDocumentException;
import io.trods.control.ZkLayout;
import java.io.Closeable;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToIntFunction;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.nodes.PersistentNode;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.CreateMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's ZooKeeper presence: an ephemeral registration (re-created by Curator after a session
 * loss) and a watch of the published decision. A new failure of another server is handed to
 * {@code prompt} on a thread of its own once every director reports the decision applied, or after
 * {@code promptWaitMillis} at the latest.
 */
public final class ControlPlaneLink implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(ControlPlaneLink.class);

    private final CuratorFramework client;
    private final ZkLayout layout;
    private final ControlCodec codec = new ControlCodec();
    private final FailureWatch watch;
    private final ToIntFunction<String> prompt;
    private final long promptWaitMillis;
    private final PersistentNode registration;
    private final CuratorCache desired;
    private final CuratorCache directors;
    private final ExecutorService prompts = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "trods-failure-prompts");
        t.setDaemon(true);
        return t;
    });
    private final AtomicReference<ConnectionState> state = new AtomicReference<>(ConnectionState.LOST);
    private final AtomicLong lastSeenVersion = new AtomicLong();
    private final AtomicLong failuresPrompted = new AtomicLong();
    private final AtomicReference<String> lastError = new AtomicReference<>("");

    public ControlPlaneLink(CuratorFramework client, ZkLayout layout, AgentRegistration self,
            ToIntFunction<String> prompt, long promptWaitMillis) {
        this.client = client;
        this.layout = layout;
        this.prompt = prompt;
        this.promptWaitMillis = promptWaitMillis;
        this.watch = new FailureWatch(self.serverId(), java.util.Set.copyOf(self.services()));
        this.registration = new PersistentNode(client, CreateMode.EPHEMERAL, false, layout.agent(self.serverId()),
                codec.encode(self));
        this.desired = CuratorCache.build(client, layout.desired(), CuratorCache.Options.SINGLE_NODE_CACHE);
        this.directors = CuratorCache.build(client, layout.directors());
    }

    public void start() {
        client.getConnectionStateListenable().addListener((c, newState) -> {
            state.set(newState);
            log.info("ZooKeeper connection {}", newState);
        });
        client.start();
        registration.start();
        desired.listenable().addListener((type, oldData, data) -> {
            if (data != null && data.getPath().equals(layout.desired())) {
                onDesired(data.getData());
            }
        });
        directors.start();
        desired.start();
    }

    private void onDesired(byte[] bytes) {
        DesiredState state;
        try {
            state = codec.desiredState(bytes);
        } catch (InvalidDocumentException e) {
            lastError.set(e.getMessage());
            log.warn("ignoring the published decision: {}", e.getMessage());
            return;
        }
        lastSeenVersion.set(state.version());
        List<FailedServer> failures;
        synchronized (watch) {
            failures = watch.newFailures(state);
        }
        if (!failures.isEmpty()) {
            prompts.execute(() -> promptOnceApplied(state.version(), failures));
        }
    }

    private void promptOnceApplied(long version, List<FailedServer> failures) {
        long start = System.nanoTime();
        long deadline = start + promptWaitMillis * 1_000_000;
        boolean applied;
        while (!(applied = FailureWatch.appliedByAllDirectors(version, directorStatuses()))
                && System.nanoTime() < deadline) {
            sleepQuietly(5);
        }
        long waited = (System.nanoTime() - start) / 1_000_000;
        for (FailedServer failed : failures) {
            try {
                int prompted = prompt.applyAsInt(failed.serverId());
                failuresPrompted.incrementAndGet();
                log.info("{} failed ({}): prompted {} of its clients; decision v{} {} after {} ms", failed.serverId(),
                        failed.reason(), prompted, version, applied ? "applied by every director" : "not confirmed", waited);
            } catch (RuntimeException e) {
                lastError.set(e.getMessage());
                log.warn("could not prompt the clients of {}: {}", failed.serverId(), e.toString());
            }
        }
    }

    private List<DirectorStatus> directorStatuses() {
        List<DirectorStatus> statuses = new ArrayList<>();
        directors.stream().filter(d -> !d.getPath().equals(layout.directors())).map(ChildData::getData)
                .forEach(bytes -> {
                    try {
                        statuses.add(codec.directorStatus(bytes));
                    } catch (InvalidDocumentException e) {
                        log.debug("skipping a director's status: {}", e.getMessage());
                    }
                });
        return statuses;
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public boolean connected() {
        return client.getZookeeperClient().isConnected();
    }

    public boolean registered() {
        return connected() && registration.getActualPath() != null;
    }

    public String connectionState() {
        return state.get().name();
    }

    public long lastSeenVersion() {
        return lastSeenVersion.get();
    }

    public long failuresPrompted() {
        return failuresPrompted.get();
    }

    public Optional<String> lastError() {
        String error = lastError.get();
        return error.isEmpty() ? Optional.empty() : Optional.of(error);
    }

    @Override
    public void close() {
        prompts.shutdownNow();
        desired.close();
        directors.close();
        try {
            registration.close();
        } catch (java.io.IOException e) {
            log.debug("closing the registration: {}", e.toString());
        }
        client.close();
    }
}
