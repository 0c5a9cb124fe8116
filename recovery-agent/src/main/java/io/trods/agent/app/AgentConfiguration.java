package io.trods.agent.app;

import io.micrometer.core.instrument.MeterRegistry;
import io.trods.agent.flow.FlowStore;
import io.trods.agent.redis.RedisFlowStore;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/** Wires the agent: the Redis store, the metrics, the runtime and its health. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(AgentProperties.class)
public class AgentConfiguration {

    @Bean
    FlowStore flowStore(RedisConnectionFactory connections, AgentProperties properties) {
        return new RedisFlowStore(connections, properties.recordTtl());
    }

    @Bean
    AgentMetrics agentMetrics(MeterRegistry registry) {
        return new AgentMetrics(registry);
    }

    @Bean
    AgentRuntime agentRuntime(AgentProperties properties, FlowStore store, AgentMetrics metrics) {
        return new AgentRuntime(properties, store, metrics);
    }

    @Bean
    PromptEndpoint promptEndpoint(AgentRuntime runtime) {
        return new PromptEndpoint(runtime);
    }

    @Bean
    ProtectionHealthIndicator protection(AgentRuntime runtime, FlowStore store) {
        return new ProtectionHealthIndicator(runtime, store);
    }
}
