package io.trods.agent.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.PropertySourcesPlaceholdersResolver;
import org.springframework.boot.context.properties.bind.handler.NoUnboundElementsBindHandler;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.data.redis.autoconfigure.DataRedisProperties;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.web.server.autoconfigure.ServerProperties;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.FileSystemResource;
import org.springframework.util.unit.DataSize;

/**
 * config/recovery-agent.yml, the operators' example, bound by the agent's own properties classes the
 * way Boot binds them at start, strictly: a key the classes do not know fails, so the example
 * cannot drift from the code.
 */
class ExampleConfigTest {

    private static final Path EXAMPLE = Path.of("../config/recovery-agent.yml");
    private static final ConfigurationPropertyName CONTROL = ConfigurationPropertyName.of("trods.agent.control");

    @Test
    void agentSettingsBindStrictly() throws IOException {
        StandardEnvironment env = environment(EXAMPLE, "s3cret");
        // trods.agent.control.* belongs to ControlPlaneProperties: hide it from the strict check of AgentProperties.
        AgentProperties agent = strict(env, name -> !CONTROL.isAncestorOf(name))
                .bind("trods.agent", Bindable.of(AgentProperties.class), noUnbound()).get();

        assertThat(agent.serverId()).isEqualTo("web1");
        assertThat(agent.intercept()).isTrue();
        assertThat(agent.servicePort()).isEqualTo(80);
        assertThat(agent.normalQueue()).isZero();
        assertThat(agent.recoveryQueue()).isEqualTo(1);
        assertThat(agent.virtualAddress()).isEqualTo("192.0.2.10");
        assertThat(agent.virtualAddressBits()).isNotZero();
        assertThat(agent.recordTtl()).isEqualTo(Duration.ofHours(1));
        assertThat(agent.zeroWindow()).isTrue();
        assertThat(agent.zeroWindowAfter()).isEqualTo(Duration.ofSeconds(1));
        assertThat(agent.fastPath()).isTrue();
        assertThat(agent.handshakeLogGroup()).isEqualTo(2);
        assertThat(agent.logClientPackets()).isFalse();
        assertThat(agent.handshakeSaveDelay()).isEqualTo(Duration.ofMillis(2));
        assertThat(agent.directSaves()).isTrue();
        assertThat(agent.debug().pcapEnabled()).isFalse();
        assertThat(agent.debug().pcapMaxSize()).isEqualTo(DataSize.ofMegabytes(100));
    }

    @Test
    void controlPlaneSettingsBindStrictly() throws IOException {
        ControlPlaneProperties control = strict(environment(EXAMPLE, "s3cret"), name -> true)
                .bind("trods.agent.control", Bindable.of(ControlPlaneProperties.class), noUnbound()).get();

        assertThat(control.enabled()).isTrue();
        assertThat(control.zookeeperConnect()).isEqualTo("10.0.0.21:2181,10.0.0.22:2181,10.0.0.23:2181");
        assertThat(control.root()).isEqualTo("/trods");
        assertThat(control.advertisedAddress()).isEqualTo("10.0.1.11");
        assertThat(control.promptWait()).isEqualTo(Duration.ofSeconds(1));
        assertThat(control.promptFailures()).isTrue();
    }

    @Test
    void springSettingsBindStrictlyAndThePasswordComesFromTheEnvironment() throws IOException {
        StandardEnvironment env = environment(EXAMPLE, "s3cret");
        Binder binder = strict(env, name -> true);

        DataRedisProperties redis = binder.bind("spring.data.redis", Bindable.of(DataRedisProperties.class), noUnbound()).get();
        assertThat(redis.getHost()).isEqualTo("10.0.0.5");
        assertThat(redis.getTimeout()).isEqualTo(Duration.ofMillis(200));
        ServerProperties server = binder.bind("server", Bindable.of(ServerProperties.class), noUnbound()).get();
        assertThat(server.getAddress().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(server.getPort()).isEqualTo(9101);

        assertThat(binder.bind("trods.admin.password", String.class).get()).isEqualTo("s3cret");
        assertThat(binder.bind("trods.admin.user", String.class).get()).isEqualTo("admin");
        // Without the variable the password is empty (writes refused), not the placeholder's text.
        assertThat(strict(environment(EXAMPLE, null), name -> true).bind("trods.admin.password", String.class)
                .orElse("")).isEmpty();
    }

    @Test
    void theStrictCheckCatchesAMisspeltKey(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Path typo = dir.resolve("typo.yml");
        Files.writeString(typo, Files.readString(EXAMPLE).replace("zero-window-after:", "zero-windw-after:"));

        assertThatThrownBy(() -> strict(environment(typo, null), name -> !CONTROL.isAncestorOf(name))
                .bind("trods.agent", Bindable.of(AgentProperties.class), noUnbound()))
                .isInstanceOf(BindException.class)
                .rootCause().hasMessageContaining("zero-windw-after");
    }

    private static StandardEnvironment environment(Path yaml, String adminPassword) throws IOException {
        StandardEnvironment env = new StandardEnvironment();
        // First, so that the machine's own environment cannot change the outcome.
        env.getPropertySources().addFirst(new MapPropertySource("test-env",
                adminPassword == null ? Map.of("TRODS_ADMIN_PASSWORD", "") : Map.of("TRODS_ADMIN_PASSWORD", adminPassword)));
        new YamlPropertySourceLoader().load(yaml.toString(), new FileSystemResource(yaml))
                .forEach(env.getPropertySources()::addLast);
        return env;
    }

    /** A binder over the environment's sources, restricted to the names the filter keeps. */
    private static Binder strict(StandardEnvironment env, java.util.function.Predicate<ConfigurationPropertyName> keep) {
        List<ConfigurationPropertySource> sources = new ArrayList<>();
        for (ConfigurationPropertySource source : ConfigurationPropertySources.from(env.getPropertySources())) {
            sources.add(source.filter(keep));
        }
        return new Binder(sources, new PropertySourcesPlaceholdersResolver(env));
    }

    private static BindHandler noUnbound() {
        return new NoUnboundElementsBindHandler(BindHandler.DEFAULT);
    }
}
