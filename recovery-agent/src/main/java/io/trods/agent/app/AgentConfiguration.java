package io.trods.agent.app;

import io.trods.agent.control.ControlPlaneLink;
import io.trods.control.AgentRegistration;
import io.trods.control.ZkLayout;
import java.util.List;
import java.util.function.ToIntFunction;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import io.micrometer.core.instrument.MeterRegistry;
import io.trods.agent.flow.FlowStore;
import io.trods.agent.redis.RedisFlowStore;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/** Wires the agent: the Redis store, the metrics, the runtime and its health. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties({AgentProperties.class, ControlPlaneProperties.class})
public class AgentConfiguration {

    @Bean
    FlowStore flowStore(RedisConnectionFactory connections, AgentProperties properties) {
        return new RedisFlowStore(connections, properties.recordTtl(), java.time.Duration.ofMillis(200),
                properties.directSaves(), properties.saveReplicas());
    }

    /**
     * No latency histogram per Redis command in Lettuce either (its default when HdrHistogram is on
     * the class path): the agent times its saves and recoveries itself ({@link AgentMetrics}).
     * Boot's per-command observation is excluded in {@code RecoveryAgentApplication}.
     */
    @Bean
    org.springframework.boot.data.redis.autoconfigure.ClientResourcesBuilderCustomizer lettuceWithoutCommandLatencies() {
        // One I/O thread: the shared connection and the packet thread's own (RedisFlowStore) then
        // share it, and a response's saves wake one thread, not two.
        return builder -> builder.commandLatencyRecorder(io.lettuce.core.metrics.CommandLatencyRecorder.disabled())
                .ioThreadPoolSize(1);
    }

    @Bean
    AgentMetrics agentMetrics(MeterRegistry registry) {
        return new AgentMetrics(registry);
    }

    @Bean
    AgentRuntime agentRuntime(AgentProperties properties, FlowStore store, AgentMetrics metrics) {
        return new AgentRuntime(properties, store, metrics);
    }

    /** The kernel's fast path: lanes handed over and taken back, and what the kernel refused. */
    @Bean
    io.micrometer.core.instrument.binder.MeterBinder fastPathMeters(AgentRuntime runtime) {
        return registry -> {
            lanesCounter(registry, "trods.agent.fastpath.lanes", "event", "added", runtime,
                    io.trods.agent.kernel.NftLaneWriter::lanesAdded);
            lanesCounter(registry, "trods.agent.fastpath.lanes", "event", "ended", runtime,
                    io.trods.agent.kernel.NftLaneWriter::lanesEnded);
            lanesCounter(registry, "trods.agent.fastpath.errors", "kind", "refused", runtime,
                    io.trods.agent.kernel.NftLaneWriter::failures);
            lanesCounter(registry, "trods.agent.fastpath.errors", "kind", "dropped", runtime,
                    io.trods.agent.kernel.NftLaneWriter::dropped);
        };
    }

    /**
     * Work the agent could not keep up with: packets the kernel let through without asking (queue
     * or socket full: fail-open), and handshake saves and record removals dropped (queue full).
     */
    @Bean
    io.micrometer.core.instrument.binder.MeterBinder backlogMeters(AgentRuntime runtime) {
        return registry -> {
            io.micrometer.core.instrument.FunctionCounter
                    .builder("trods.agent.packets.unqueued", runtime, AgentRuntime::unseenPackets)
                    .description("packets accepted by the kernel without the agent: its queue or socket was full")
                    .register(registry);
            io.micrometer.core.instrument.FunctionCounter
                    .builder("trods.agent.handshakes.unseen", runtime, AgentRuntime::handshakeCopiesMissed)
                    .description("copies of handshakes the kernel could not deliver (socket full): their connections pass unprotected")
                    .register(registry);
            io.micrometer.core.instrument.FunctionCounter
                    .builder("trods.agent.handshakes.withdrawn", runtime, AgentRuntime::handshakeSavesWithdrawn)
                    .description("handshake saves not sent: the first response was saved first, or the connection ended")
                    .register(registry);
            io.micrometer.core.instrument.FunctionCounter
                    .builder("trods.agent.upkeep.dropped", runtime, AgentRuntime::upkeepDropped)
                    .description("handshake saves and record removals dropped: the store fell behind")
                    .register(registry);
        };
    }

    private static void lanesCounter(MeterRegistry registry, String name, String tag, String value, AgentRuntime runtime,
            java.util.function.ToLongFunction<io.trods.agent.kernel.NftLaneWriter> read) {
        io.micrometer.core.instrument.FunctionCounter.builder(name, runtime, r -> {
            io.trods.agent.kernel.NftLaneWriter lanes = r.lanes();
            return lanes == null ? 0 : read.applyAsLong(lanes);
        }).tag(tag, value).register(registry);
    }

    @Bean
    PromptEndpoint promptEndpoint(AgentRuntime runtime) {
        return new PromptEndpoint(runtime);
    }

    @Bean
    FlowsEndpoint flowsEndpoint(AgentRuntime runtime) {
        return new FlowsEndpoint(runtime);
    }

    /** Registration and failure prompts through ZooKeeper, when {@code trods.agent.control.zookeeper-connect} is set. */
    @Bean(initMethod = "start", destroyMethod = "close")
    @ConditionalOnProperty(prefix = "trods.agent.control", name = "zookeeper-connect")
    ControlPlaneLink controlPlaneLink(ControlPlaneProperties control, AgentProperties agent, AgentRuntime runtime) {
        CuratorFramework client = CuratorFrameworkFactory.builder()
                .connectString(control.zookeeperConnect())
                .sessionTimeoutMs((int) control.sessionTimeout().toMillis())
                .connectionTimeoutMs(2_000)
                .retryPolicy(new ExponentialBackoffRetry(100, 29, 2_000))
                .build();
        List<String> services = agent.virtualAddressBits() == 0 ? List.of()
                : List.of(agent.virtualAddress() + ":" + agent.virtualPort());
        AgentRegistration self = new AgentRegistration(agent.serverId(), AdvertisedAddress.resolve(control.advertisedAddress()),
                agent.servicePort(), services, System.currentTimeMillis());
        ToIntFunction<String> prompt = control.promptFailures() ? runtime::promptClientsOf : failed -> 0;
        return new ControlPlaneLink(client, new ZkLayout(control.root()), self, prompt,
                control.promptWait().toMillis());
    }

    @Bean
    @ConditionalOnBean(ControlPlaneLink.class)
    ControlPlaneHealthIndicator controlPlane(ControlPlaneLink link) {
        return new ControlPlaneHealthIndicator(link);
    }

    @Bean
    ProtectionHealthIndicator protection(AgentRuntime runtime, FlowStore store) {
        return new ProtectionHealthIndicator(runtime, store);
    }
}
