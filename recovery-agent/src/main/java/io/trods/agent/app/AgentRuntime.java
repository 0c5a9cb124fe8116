package io.trods.agent.app;

import io.trods.agent.datapath.PacketLoop;
import io.trods.agent.datapath.PacketThreadKeeper;
import io.trods.agent.recovery.ActiveRecovery;
import io.trods.agent.engine.FlowEngine;
import io.trods.agent.flow.FlowStore;
import io.trods.agent.flow.FlowKey;
import io.trods.agent.kernel.InterceptionRules;
import io.trods.agent.kernel.NfQueueSocket;
import io.trods.agent.kernel.RawSocket;
import io.trods.agent.kernel.FastPathRules;
import io.trods.agent.kernel.NftLaneWriter;
import io.trods.agent.engine.FastPath;
import io.trods.agent.kernel.TcpRepair;
import io.trods.agent.netlink.Nfqueue;
import io.trods.agent.recovery.Prompter;
import io.trods.agent.recovery.Recoverer;
import io.trods.agent.recovery.Splicer;
import io.trods.agent.recovery.WorkerLauncher;
import io.trods.agent.pcap.PacketDump;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Starts and stops interception: rules in, queues bound, the packet thread running; and on stop
 * the reverse, so that a stopped agent leaves the web server exactly as it found it. A killed agent
 * leaves its rules, whose bypass lets all traffic through; the next start replaces them.
 */
public final class AgentRuntime implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(AgentRuntime.class);

    private final AgentProperties properties;
    private final FlowStore store;
    private final AgentMetrics metrics;
    private final InterceptionRules rules;
    private volatile PacketLoop loop;
    private volatile FlowEngine engine;
    private volatile String unavailable;
    private volatile Prompter prompter;
    private volatile Recoverer recoverer;
    private NfQueueSocket socket;
    private RawSocket raw;
    private PacketDump dump;
    private ExecutorService workers;
    private WorkerLauncher launcher;
    /** Where a failed server's clients are prompted again when no survivor has taken them over yet. */
    private ScheduledExecutorService promptFollowUps;
    /**
     * Prompted again 250 ms after the prompt, then after twice as long each round up to 4 s, ten
     * rounds in about 28 s: a recovery normally follows its prompt within a few hundred
     * milliseconds, and a lost prompt otherwise costs the client's backed-off timer (tens of
     * seconds in a failure). Prompts are lost: on a client link congested by the survivors'
     * resumed downloads, 47 of 100 first prompts never reached the client (a capture at the
     * client; bench/recovery-rate.sh 200 4 2, 2026-11-27T18:46Z), and with three rounds a second
     * apart 3 of 100 downloads lost all four and stalled (T18:24Z).
     */
    private static final long PROMPT_FOLLOW_UP_MILLIS = 250;
    private static final long PROMPT_FOLLOW_UP_MAX_MILLIS = 4000;
    private static final int PROMPT_FOLLOW_UP_ROUNDS = 10;
    /** Handshake saves and record removals, in order, off the packet thread, batched. */
    private RecordUpkeep upkeep;
    private Thread thread;
    private volatile PacketThreadKeeper keeper;
    private final FastPathRules fastPathRules;
    private volatile NftLaneWriter lanes;
    private volatile String fastPathState = "not started";

    public AgentRuntime(AgentProperties properties, FlowStore store, AgentMetrics metrics) {
        this.properties = properties;
        this.store = store;
        this.metrics = metrics;
        this.rules = new InterceptionRules(properties.servicePort(), properties.normalQueue(), properties.recoveryQueue(),
                properties.healthCheckSources(), properties.handshakeLogGroup(), properties.logClientPackets());
        this.fastPathRules = new FastPathRules(properties.servicePort());
    }

    @Override
    public synchronized void start() {
        if (!properties.intercept()) {
            unavailable = "interception is off (trods.agent.intercept=false)";
            log.info(unavailable);
            return;
        }
        if (!TcpRepair.isAvailable()) {
            unavailable = "TCP_REPAIR is not available: " + TcpRepair.unavailabilityCause();
            log.error("{}; not intercepting, traffic flows unprotected", unavailable);
            return;
        }
        try {
            raw = RawSocket.open();
            engine = new FlowEngine(store, properties.serverId(), properties.maxFlows(), System::nanoTime,
                    System::currentTimeMillis, metrics, raw,
                    properties.zeroWindow() ? properties.zeroWindowAfter().toNanos() : -1, startKeeper(),
                    startFastPath());
            AtomicInteger n = new AtomicInteger();
            workers = new ThreadPoolExecutor(0, properties.recoveryThreads(), 60, TimeUnit.SECONDS,
                    new SynchronousQueue<>(), r -> {
                        Thread t = new Thread(r, "trods-recovery-" + n.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    });
            Splicer splicer = new Splicer(new InetSocketAddress(properties.upstreamHost(), properties.upstreamPort()),
                    1000, 10_000, metrics);
            launcher = new WorkerLauncher(workers, 4096);
            recoverer = new Recoverer(store, engine, properties.serverId(), launcher, splicer, metrics,
                    System::nanoTime, properties.lookupsPerSecond(), properties.missMemory().toMillis(),
                    new io.trods.agent.recovery.LookupRetries(properties.lookupRetryWindow().toNanos(), 65_536));
            if (properties.virtualAddressBits() != 0) {
                promptFollowUps = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "trods-prompt-follow-ups");
                    t.setDaemon(true);
                    return t;
                });
                prompter = new Prompter(store, raw, properties.virtualAddressBits(), properties.virtualPort(),
                        properties.promptsPerSecond(), metrics, promptFollowUps, PROMPT_FOLLOW_UP_MILLIS,
                        PROMPT_FOLLOW_UP_MAX_MILLIS, PROMPT_FOLLOW_UP_ROUNDS);
            }
            socket = NfQueueSocket.open(new int[] {properties.normalQueue(), properties.recoveryQueue()}, 8192,
                    Nfqueue.FLAG_FAIL_OPEN | Nfqueue.FLAG_GSO, 200, properties.handshakeLogGroup());
            dump = startDump();
            loop = new PacketLoop(socket, properties.recoveryQueue(), engine, recoverer, store, keeper,
                    properties.idleFlow().toSeconds(), dump);
            thread = new Thread(loop, "trods-packets");
            thread.setDaemon(true);
            store.connectAhead(); // the packet thread's own Redis connection, open before the first save
            thread.start();
            warmUpStore();
            rules.apply(); // last: packets are queued only once someone listens
            unavailable = null;
            log.info("intercepting port {} (queues {} and {}, handshakes {}) as {}", properties.servicePort(),
                    properties.normalQueue(), properties.recoveryQueue(), properties.handshakeLogGroup() < 0 ? "queued"
                            : "logged to group " + properties.handshakeLogGroup(), properties.serverId());
        } catch (Exception e) {
            unavailable = "interception failed to start: " + e.getMessage();
            log.error("{}; traffic flows unprotected", unavailable, e);
            stop();
        }
    }

    /**
     * Installs the fast path's table and opens its writer; without them (turned off, no nftables,
     * a failure) the engine gets none and every segment crosses to Java, as it always could.
     */
    private FastPath startFastPath() {
        if (!properties.fastPath()) {
            fastPathState = "off (trods.agent.fast-path=false)";
            return FastPath.NONE;
        }
        if (!FastPathRules.isAvailable()) {
            fastPathState = "unavailable: " + FastPathRules.unavailabilityCause();
            log.warn("kernel fast path {}; every segment crosses to Java", fastPathState);
            return FastPath.NONE;
        }
        try {
            fastPathRules.apply();
            lanes = NftLaneWriter.open(properties.recordTtl(), 65_536);
            fastPathState = "active";
            return lanes;
        } catch (IOException e) {
            fastPathState = "failed: " + e.getMessage();
            log.warn("kernel fast path {}; every segment crosses to Java", fastPathState);
            removeFastPath();
            return FastPath.NONE;
        }
    }

    private void removeFastPath() {
        NftLaneWriter current = lanes;
        if (current != null) {
            current.close();
            lanes = null;
        }
        try {
            fastPathRules.remove();
        } catch (IOException e) {
            log.warn("could not remove the fast path's table: {}", e.getMessage());
        }
    }

    /** "active", or why the kernel's fast path is not. */
    public String fastPathState() {
        return fastPathState;
    }

    /** The fast path's writer, null when it is not active. */
    public NftLaneWriter lanes() {
        return lanes;
    }

    /**
     * Opens the store's connection and runs its read path once before the first packet is queued:
     * measured, the first write-ahead save after a start otherwise took 0.37-1.07 s (connection and
     * classes made on demand), past the 200 ms after which a response passes unprotected. Redis
     * being down here costs nothing: the agent starts and fails open as it would later.
     */
    private void warmUpStore() {
        long started = System.nanoTime();
        java.util.concurrent.CompletableFuture<Boolean> warm = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            boolean reachable = store.reachable();
            store.find(new FlowKey(0, 1, properties.servicePort())); // 0.0.0.0:1 is never a client
            return reachable;
        });
        try {
            // Bounded: an unreachable Redis must not hold the start up (connect timeouts are long).
            boolean reachable = warm.get(2, TimeUnit.SECONDS);
            log.info("store warmed up in {} ms (reachable: {})", (System.nanoTime() - started) / 1_000_000, reachable);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.warn("store not ready at start ({}); responses pass unprotected until it is",
                    e.getCause() == null ? e.toString() : e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The debug dump if configured; one that cannot be opened is reported and skipped, not fatal. */
    private PacketDump startDump() {
        AgentProperties.Debug debug = properties.debug();
        if (!debug.pcapEnabled()) {
            return null;
        }
        try {
            PacketDump started = PacketDump.start(Path.of(debug.pcapFile()), debug.pcapMaxSize().toBytes());
            log.warn("dumping every queued packet to {} (at most {} on disk): a debugging aid, it holds client data",
                    started.file(), debug.pcapMaxSize());
            return started;
        } catch (IOException | RuntimeException e) {
            log.error("cannot dump packets to {}: {}; running without the dump", debug.pcapFile(), e.toString());
            return null;
        }
    }

    /**
     * The engine's record keeper: on the packet thread, sending on its own Redis connection, with
     * the background thread for what that connection cannot take.
     */
    private PacketThreadKeeper startKeeper() {
        keeper = new PacketThreadKeeper(store, startUpkeep(), properties.handshakeSaveDelay().toNanos(), System::nanoTime,
                metrics::saveFailed);
        return keeper;
    }

    private RecordUpkeep startUpkeep() {
        if (upkeep == null) {
            upkeep = new RecordUpkeep(store, 10_000, properties.handshakeSaveDelay(), metrics::saveFailed);
        }
        return upkeep;
    }

    /** Handshake saves withdrawn before they were sent: a response was saved first, or the connection ended. */
    public long handshakeSavesWithdrawn() {
        RecordUpkeep current = upkeep;
        PacketThreadKeeper onThread = keeper;
        return (current == null ? 0 : current.withdrawn()) + (onThread == null ? 0 : onThread.withdrawn());
    }

    /** Upkeep dropped since start because its queue was full (0 when not running). */
    public long upkeepDropped() {
        RecordUpkeep current = upkeep;
        return current == null ? 0 : current.dropped();
    }

    @Override
    public synchronized void stop() {
        try {
            rules.remove(); // first: from now on packets take the normal way
        } catch (Exception e) {
            log.warn("could not remove the interception rules: {}", e.getMessage());
        }
        if (!"not started".equals(fastPathState)) {
            removeFastPath(); // after the queue rules: segments then flow as the kernel sends them
            fastPathState = "stopped";
        }
        if (loop != null) {
            loop.stop();
        }
        if (socket != null) {
            socket.close();
        }
        if (thread != null) {
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (upkeep != null) {
            upkeep.close(); // after the packet thread: the last removals it queued still go out
            upkeep = null;
        }
        if (launcher != null) {
            launcher.close();
            launcher = null;
        }
        if (workers != null) {
            workers.shutdownNow();
        }
        if (promptFollowUps != null) {
            promptFollowUps.shutdownNow();
            promptFollowUps = null;
        }
        if (raw != null) {
            raw.close();
            raw = null;
        }
        if (dump != null) {
            dump.close(); // after the packet thread: nothing records any more
            log.info("packet dump {} closed: {} packets written, {} dropped", dump.file(), dump.written(), dump.dropped());
            dump = null;
        }
        loop = null;
        socket = null;
        thread = null;
    }

    @Override
    public boolean isRunning() {
        return loop != null && loop.running();
    }

    /** Why the agent is not intercepting, or null when it is. */
    public String unavailable() {
        return isRunning() ? null : unavailable == null ? "not started" : unavailable;
    }

    /**
     * Prompts the clients of a server that was taken out because it failed.
     *
     * @return how many were prompted
     * @throws IllegalStateException if this agent cannot prompt (not running, or no virtual address)
     */
    public int promptClientsOf(String failedServer) {
        Prompter current = prompter;
        if (current == null || !isRunning()) {
            throw new IllegalStateException("prompting needs a running agent and trods.agent.virtual-address");
        }
        return current.promptClientsOf(failedServer);
    }

    /** A page of the tracked flows, copied by the packet thread (which owns the table). */
    public PacketLoop.FlowPage trackedFlows(int offset, int limit) {
        PacketLoop current = loop;
        if (current == null || !current.running()) {
            return new PacketLoop.FlowPage(0, List.of());
        }
        try {
            return current.trackedFlows(offset, limit).get(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while listing flows", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the packet thread did not list its flows: " + e, e);
        }
    }

    public List<ActiveRecovery> activeRecoveries() {
        Recoverer current = recoverer;
        return current == null ? List.of() : current.activeRecoveries();
    }

    public boolean rulesApplied() {
        return rules.applied();
    }

    public int trackedFlows() {
        FlowEngine current = engine;
        return current == null ? 0 : current.trackedFlows();
    }

    public long packets() {
        PacketLoop current = loop;
        return current == null ? 0 : current.packets();
    }

    /** Packets the kernel let through unasked because the queue or its socket was full. */
    public long unseenPackets() {
        PacketLoop current = loop;
        return current == null ? 0 : current.unseen();
    }

    /** Copies of logged handshakes the kernel could not deliver (the socket was full). */
    public long handshakeCopiesMissed() {
        PacketLoop current = loop;
        return current == null ? 0 : current.copiesMissed();
    }
}
