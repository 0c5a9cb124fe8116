package io.trods.monitor.core;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.trods.control.AgentRegistration;
import io.trods.control.DesiredState;
import io.trods.monitor.config.MonitorProperties;
import io.trods.monitor.decision.Decider;
import io.trods.monitor.decision.DeciderInput;
import io.trods.monitor.decision.Decision;
import io.trods.monitor.decision.Member;
import io.trods.monitor.decision.Membership;
import io.trods.monitor.decision.Outcome;
import io.trods.monitor.decision.ServiceSpec;
import io.trods.monitor.health.DampenerSettings;
import io.trods.monitor.health.HealthBook;
import io.trods.monitor.health.Transition;
import io.trods.monitor.probe.Probe;
import io.trods.monitor.probe.ProbeLoops;
import io.trods.monitor.probe.ProbeResult;
import io.trods.monitor.probe.ProbeSpec;
import io.trods.monitor.probe.ProbeTarget;
import io.trods.monitor.probe.ServerEndpoint;
import io.trods.monitor.zk.ControlPlaneView;
import io.trods.monitor.zk.OverrideStore;
import io.trods.monitor.zk.PublishResult;
import io.trods.monitor.zk.Publisher;
import java.io.Closeable;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.imps.CuratorFrameworkState;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.state.ConnectionState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One monitor instance: probes every member (leader or not), follows ZooKeeper, takes part in the
 * leader election, and, while leader and connected, publishes the decision. Evaluations run on one
 * thread: at once after every health transition or ZooKeeper change, and every publish interval.
 */
public final class MonitorCore implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(MonitorCore.class);

    private final MonitorProperties props;
    private final CuratorFramework client;
    private final MeterRegistry meters;
    private final List<ServiceSpec> specs;
    private final HealthBook health;
    private final ProbeLoops probes;
    private final ControlPlaneView view;
    private final LeaderLatch latch;
    private final Publisher publisher;
    private final OverrideStore overrides;
    private final ScheduledExecutorService evaluator = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "trods-monitor-evaluate");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean evaluationPending = new AtomicBoolean();
    private final AtomicReference<ConnectionState> connection = new AtomicReference<>(ConnectionState.LOST);
    private final Map<String, ServerEndpoint> knownEndpoints = new ConcurrentHashMap<>();
    private final long startedMillis = System.currentTimeMillis();
    private final long warmupMillis;
    private volatile Map<String, List<Member>> members = Map.of();
    private volatile DesiredState lastPublished;
    private volatile String lastError = "";
    private volatile Set<String> panicHolds = Set.of();
    private volatile boolean closed;

    /** @param probes makes the probe of a spec ({@link ProbeSpec#newProbe()}; tests may fake it) */
    public MonitorCore(MonitorProperties props, CuratorFramework client, MeterRegistry meters,
            Function<ProbeSpec, Probe> probes) {
        this.props = props;
        this.client = client;
        this.meters = meters;
        this.specs = ServiceSpecs.of(props.services(), props.probe());
        MonitorProperties.Flap f = props.flap();
        this.health = new HealthBook(spec -> new DampenerSettings(spec.fall(), spec.rise(), f.window().toMillis(),
                f.maxTransitions(), f.holdDown().toMillis()), System::currentTimeMillis);
        this.probes = new ProbeLoops(probes, this::onProbe);
        this.view = new ControlPlaneView(client, props.layout(), this::requestEvaluation);
        this.latch = new LeaderLatch(client, props.layout().leaderLatch(), props.id(), LeaderLatch.CloseMode.NOTIFY_LEADER);
        this.publisher = new Publisher(client, props.layout(), props.id(), this::mayPublish);
        this.overrides = new OverrideStore(client, props.layout());
        // Long enough for every member to reach a first verdict (rise successes or fall timeouts).
        this.warmupMillis = specs.stream().map(ServiceSpec::probe)
                .mapToLong(p -> (long) (p.rise() + p.fall()) * (p.intervalMillis() + p.timeoutMillis()))
                .max().orElse(0);
        Gauge.builder("trods.monitor.leader", this, core -> core.isLeader() ? 1 : 0)
                .description("1 while this instance leads").register(meters);
    }

    public void start() throws Exception {
        client.getConnectionStateListenable().addListener((c, state) -> onConnection(state));
        if (client.getState() == CuratorFrameworkState.LATENT) {
            client.start();
        } else if (client.getZookeeperClient().isConnected()) {
            connection.set(ConnectionState.CONNECTED);
        }
        latch.addListener(new LeaderLatchListener() {
            @Override
            public void isLeader() {
                log.info("{} is now the leader", props.id());
                requestEvaluation();
            }

            @Override
            public void notLeader() {
                log.info("{} is no longer the leader", props.id());
            }
        });
        view.start();
        latch.start();
        long period = props.publishInterval().toMillis();
        evaluator.scheduleWithFixedDelay(this::evaluateSafely, 0, period, TimeUnit.MILLISECONDS);
    }

    private void onConnection(ConnectionState state) {
        connection.set(state);
        switch (state) {
            case SUSPENDED, LOST -> log.warn("ZooKeeper connection {}: publishing stops until reconnected", state);
            case CONNECTED, RECONNECTED -> {
                log.info("ZooKeeper connection {}", state);
                requestEvaluation();
            }
            default -> log.info("ZooKeeper connection {}", state);
        }
    }

    /** Leader and connected right now: checked before every read-decide-write and before the write. */
    boolean mayPublish() {
        ConnectionState state = connection.get();
        return !closed && (state == ConnectionState.CONNECTED || state == ConnectionState.RECONNECTED)
                && client.getZookeeperClient().isConnected() && latch.hasLeadership();
    }

    private void onProbe(ProbeTarget endpoint, ProbeResult result) {
        Timer.builder("trods.monitor.probe").tag("outcome", result.outcome().name().toLowerCase())
                .publishPercentileHistogram().register(meters)
                .record(result.latencyMicros(), TimeUnit.MICROSECONDS);
        List<Transition> transitions = health.record(endpoint, result);
        for (Transition t : transitions) {
            log.info("{} {} -> {}: {}", endpoint, t.from(), t.to(), t.reason());
            Counter.builder("trods.monitor.transitions").tag("to-state", t.to().name()).register(meters).increment();
        }
        if (!transitions.isEmpty()) {
            requestEvaluation();
        }
    }

    /** Coalesces requests: at most one evaluation waits behind the running one. */
    public void requestEvaluation() {
        if (!closed && evaluationPending.compareAndSet(false, true)) {
            try {
                evaluator.execute(() -> {
                    evaluationPending.set(false);
                    evaluateSafely();
                });
            } catch (java.util.concurrent.RejectedExecutionException e) {
                evaluationPending.set(false); // closing
            }
        }
    }

    private void evaluateSafely() {
        try {
            evaluate();
        } catch (RuntimeException e) {
            lastError = e.toString();
            log.warn("evaluation failed", e);
        }
    }

    private void evaluate() {
        if (closed) {
            return;
        }
        List<AgentRegistration> agents = view.agents();
        agents.forEach(a -> knownEndpoints.put(a.serverId(), new ServerEndpoint(a.address(), a.port())));
        Map<String, List<Member>> current = membersFor(view.desired().orElse(null), agents);
        Set<ProbeTarget> targets = new HashSet<>();
        for (ServiceSpec spec : specs) {
            current.getOrDefault(spec.name(), List.of()).stream().map(spec::target).filter(t -> t != null)
                    .forEach(targets::add);
        }
        probes.probeExactly(targets);
        health.retainOnly(targets);
        members = current;
        long start = System.nanoTime();
        long now = System.currentTimeMillis();
        PublishResult result = publisher.publish(previous -> decide(previous, agents, now), now);
        handle(result, System.nanoTime() - start);
    }

    private Map<String, List<Member>> membersFor(DesiredState previous, List<AgentRegistration> agents) {
        Map<String, List<Member>> byService = new LinkedHashMap<>();
        for (ServiceSpec spec : specs) {
            byService.put(spec.name(), Membership.of(spec, agents, previous, knownEndpoints));
        }
        return byService;
    }

    /** The decision for {@code previous}, or null while new members still lack a first verdict. */
    private Outcome decide(DesiredState previous, List<AgentRegistration> agents, long now) {
        DeciderInput input = new DeciderInput(specs, membersFor(previous, agents), health::view, view.overrides(),
                previous, props.panicThreshold(), props.failedRetention().toMillis(), now);
        Outcome outcome = Decider.decide(input);
        if (outcome.warmingUp() > 0 && now - startedMillis < warmupMillis) {
            return null;
        }
        return outcome;
    }

    private void handle(PublishResult result, long nanos) {
        if (result.current() != null) {
            lastPublished = result.current();
        }
        if (result.outcome() != null) {
            reportPanic(result.outcome());
        }
        switch (result.kind()) {
            case PUBLISHED -> {
                Timer.builder("trods.monitor.publish").publishPercentileHistogram().register(meters)
                        .record(nanos, TimeUnit.NANOSECONDS);
                DesiredState doc = result.current();
                log.info("published v{}: {}", doc.version(), summary(doc));
                result.outcome().decisions().stream().filter(d -> d.action() != Decision.Action.PANIC_HOLD)
                        .forEach(this::record);
                lastError = "";
            }
            case CONFLICT -> log.warn("publication lost a compare-and-set ({}); re-reading on the next evaluation", result.detail());
            case ERROR -> {
                lastError = result.detail();
                log.warn("publication failed: {}", result.detail());
            }
            default -> { }
        }
    }

    /** Panic holds are logged and counted when the set of held servers changes, not every evaluation. */
    private void reportPanic(Outcome outcome) {
        List<Decision> holds = outcome.decisions().stream().filter(d -> d.action() == Decision.Action.PANIC_HOLD).toList();
        Set<String> keys = holds.stream().map(d -> d.service() + "/" + d.serverId()).collect(Collectors.toSet());
        if (!keys.equals(panicHolds)) {
            holds.stream().filter(d -> !panicHolds.contains(d.service() + "/" + d.serverId())).forEach(this::record);
            if (keys.isEmpty()) {
                log.info("panic over: decisions follow the probes again");
            }
            panicHolds = keys;
        }
    }

    private void record(Decision decision) {
        log.info("decision {}", decision);
        Counter.builder("trods.monitor.decisions").tag("action", decision.action().name()).register(meters).increment();
    }

    private static String summary(DesiredState doc) {
        List<String> parts = new ArrayList<>();
        doc.services().forEach(s -> parts.add(s.name() + " backends=" + s.backends().stream()
                .map(b -> b.serverId() + "(" + b.weight() + ")").toList() + " failed="
                + s.failed().stream().map(f -> f.serverId()).toList()));
        return String.join("; ", parts);
    }

    public String id() {
        return props.id();
    }

    public boolean isLeader() {
        return !closed && latch.hasLeadership();
    }

    /** The current leader's id, or empty when unknown (asks ZooKeeper). */
    public String leaderId() {
        try {
            return latch.getLeader().getId();
        } catch (Exception e) {
            return "";
        }
    }

    public String connectionState() {
        return connection.get().name();
    }

    public boolean connected() {
        return client.getZookeeperClient().isConnected();
    }

    /** The document as last read or written by this instance's publisher, else as seen by the cache. */
    public DesiredState published() {
        DesiredState seen = view.desired().orElse(null);
        DesiredState mine = lastPublished;
        if (seen == null) {
            return mine;
        }
        return mine == null || seen.version() >= mine.version() ? seen : mine;
    }

    public List<ServiceSpec> services() {
        return specs;
    }

    public Map<String, List<Member>> members() {
        return members;
    }

    public HealthBook health() {
        return health;
    }

    public ControlPlaneView view() {
        return view;
    }

    public OverrideStore overrides() {
        return overrides;
    }

    public String lastError() {
        return lastError;
    }

    @Override
    public void close() {
        closed = true;
        evaluator.shutdownNow();
        probes.close();
        try {
            latch.close();
        } catch (Exception e) {
            log.debug("closing the leader latch: {}", e.toString());
        }
        view.close();
    }
}
