package io.trods.agent.app;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.trods.agent.engine.EngineListener;
import io.trods.agent.engine.RecoveryPlan;
import io.trods.agent.flow.FlowKey;
import io.trods.agent.recovery.Prompter;
import io.trods.agent.recovery.Recoverer;
import io.trods.agent.recovery.Splicer;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Micrometer meters for what the engine, the recoverer and the splicer report. */
public final class AgentMetrics implements EngineListener, Recoverer.Listener, Splicer.Listener, Prompter.Listener {

    private static final Logger log = LoggerFactory.getLogger(AgentMetrics.class);

    private final MeterRegistry registry;
    private final Counter flowsOpened;
    private final Counter saveFailures;
    private final Timer saveLatency;
    private final Counter protectedResponses;
    private final java.util.Map<String, Counter> unprotectedResponses = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.Map<Recoverer.Outcome, Counter> unknownPackets =
            new java.util.concurrent.ConcurrentHashMap<>();

    public AgentMetrics(MeterRegistry registry) {
        this.registry = registry;
        // Counters per response are looked up once, not per response (a registry lookup builds and
        // compares tags: measurable on the packet thread).
        this.protectedResponses = registry.counter("trods.agent.responses", "protected", "true", "reason", "none");
        this.flowsOpened = Counter.builder("trods.agent.flows.opened").description("connections seen").register(registry);
        this.saveFailures = Counter.builder("trods.agent.store.failures").description("saves or deletes that failed")
                .register(registry);
        this.saveLatency = Timer.builder("trods.agent.save.latency").description("write-ahead save, per response")
                .publishPercentiles(0.5, 0.99).register(registry);
    }

    @Override
    public void flowOpened(FlowKey key) {
        flowsOpened.increment();
    }

    @Override
    public void responseProtected(FlowKey key, long saveNanos) {
        protectedResponses.increment();
        saveLatency.record(saveNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void responseUnprotected(FlowKey key, Enum<?> reason) {
        unprotectedResponses.computeIfAbsent(reason.name(),
                name -> registry.counter("trods.agent.responses", "protected", "false", "reason", name)).increment();
    }

    @Override
    public void saveFailed(FlowKey key, RuntimeException cause) {
        saveFailures.increment();
        log.warn("store: {}", cause.getMessage());
    }

    @Override
    public void outcome(FlowKey key, Recoverer.Outcome outcome, long nanos) {
        unknownPackets.computeIfAbsent(outcome, o -> registry.counter("trods.agent.unknown.packets", "outcome", o.name()))
                .increment();
        if (outcome == Recoverer.Outcome.RECOVERED) {
            registry.timer("trods.agent.recovery.latency").record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public void prompted(String failedServer, int count) {
        registry.counter("trods.agent.prompts").increment(count);
    }

    @Override
    public void spliced(RecoveryPlan plan, long bytes, String outcome) {
        registry.counter("trods.agent.recoveries", "outcome", outcome).increment();
        registry.counter("trods.agent.recovered.bytes").increment(bytes);
    }
}
