package io.trods.monitor.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.BindHandler;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.handler.NoUnboundElementsBindHandler;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.web.server.autoconfigure.ServerProperties;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.FileSystemResource;

/**
 * config/liveness-monitor.yml, the operators' example, bound by MonitorProperties the way Boot binds
 * it at start, strictly: a key the class does not know fails, so the example cannot drift from the code.
 */
class ExampleConfigTest {

    private static final Path EXAMPLE = Path.of("../config/liveness-monitor.yml");

    @Test
    void monitorSettingsBindStrictly() throws IOException {
        MonitorProperties p = bind(binder(EXAMPLE, "s3cret"));

        assertThat(p.id()).isEqualTo("monitor1");
        assertThat(p.zookeeper().embedded()).isFalse();
        assertThat(p.zookeeper().connect()).isEqualTo("10.0.0.21:2181,10.0.0.22:2181,10.0.0.23:2181");
        assertThat(p.zookeeper().sessionTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(p.layout().desired()).isEqualTo("/trods/desired");
        assertThat(p.services()).hasSize(1);
        MonitorProperties.Service web = p.services().get(0);
        assertThat(web.endpoint()).isEqualTo("192.0.2.10:80");
        assertThat(web.scheduler()).isEqualTo("mh");
        assertThat(web.forwarding()).isEqualTo("nat");
        assertThat(web.servers()).containsExactly(new MonitorProperties.StaticServer("legacy1", "10.0.1.21", 80, 1));
        assertThat(p.probe()).isEqualTo(new MonitorProperties.Probe("http", "/healthz", 200, Duration.ofMillis(50),
                Duration.ofMillis(150), Duration.ofMillis(500), 2, 3, null));
        assertThat(p.probe().with(web.probe())).as("the service's own probe: a longer timeout, the rest inherited")
                .isEqualTo(new MonitorProperties.Probe("http", "/healthz", 200, Duration.ofMillis(50),
                        Duration.ofMillis(250), Duration.ofMillis(500), 2, 3, null));
        assertThat(p.panicThreshold()).isEqualTo(0.5);
        assertThat(p.flap()).isEqualTo(new MonitorProperties.Flap(Duration.ofSeconds(10), 4, Duration.ofSeconds(30)));
        assertThat(p.failedRetention()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void serverAndAdminSettings() throws IOException {
        Binder binder = binder(EXAMPLE, "s3cret");

        ServerProperties server = binder.bind("server", Bindable.of(ServerProperties.class),
                new NoUnboundElementsBindHandler(BindHandler.DEFAULT)).get();
        assertThat(server.getAddress().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(server.getPort()).isEqualTo(9103);
        assertThat(binder.bind("trods.admin.password", String.class).get()).isEqualTo("s3cret");
    }

    @Test
    void theStrictCheckCatchesAMisspeltKeyAndTheClassItsInvalidValues(@TempDir Path dir) throws IOException {
        Path typo = dir.resolve("typo.yml");
        Files.writeString(typo, Files.readString(EXAMPLE).replace("hold-down:", "holddown-time:"));
        assertThatThrownBy(() -> bind(binder(typo, "")))
                .isInstanceOf(BindException.class).rootCause().hasMessageContaining("holddown-time");

        Path invalid = dir.resolve("invalid.yml");
        Files.writeString(invalid, Files.readString(EXAMPLE).replace("forwarding: nat", "forwarding: tun"));
        assertThatThrownBy(() -> bind(binder(invalid, "")))
                .isInstanceOf(BindException.class).rootCause().hasMessageContaining("forwarding");
    }

    private static MonitorProperties bind(Binder binder) {
        return binder.bind("trods.monitor", Bindable.of(MonitorProperties.class), new NoUnboundElementsBindHandler(BindHandler.DEFAULT)).get();
    }

    private static Binder binder(Path yaml, String adminPassword) throws IOException {
        StandardEnvironment env = new StandardEnvironment();
        // First, so that the machine's own environment cannot change the outcome.
        env.getPropertySources().addFirst(new MapPropertySource("test-env", Map.of("TRODS_ADMIN_PASSWORD", adminPassword)));
        new YamlPropertySourceLoader().load(yaml.toString(), new FileSystemResource(yaml))
                .forEach(env.getPropertySources()::addLast);
        return Binder.get(env);
    }
}
