package io.trods.lbplugin.app;

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
 * config/lb-plugin.yml, the operators' example, bound by BalancerProperties the way Boot binds it at
 * start, strictly: a key the class does not know fails, so the example cannot drift from the code.
 */
class ExampleConfigTest {

    private static final Path EXAMPLE = Path.of("../config/lb-plugin.yml");

    @Test
    void balancerSettingsBindStrictly() throws IOException {
        BalancerProperties p = bind(binder(EXAMPLE, "s3cret"));

        assertThat(p.driver()).isEqualTo("nftables");
        assertThat(p.fromZooKeeper()).isTrue();
        assertThat(p.directorId()).isEqualTo("director1");
        assertThat(p.manageSysctls()).isFalse();
        assertThat(p.minSyncInterval()).isEqualTo(Duration.ofMillis(20));
        assertThat(p.fullResyncInterval()).isEqualTo(Duration.ofSeconds(60));
        assertThat(p.retryMaxBackoff()).isEqualTo(Duration.ofSeconds(5));
        assertThat(p.zookeeper().connect()).isEqualTo("10.0.0.21:2181,10.0.0.22:2181,10.0.0.23:2181");
        assertThat(p.zookeeper().layout().desired()).isEqualTo("/trods/desired");
        assertThat(p.nftables().backendInterface()).isEqualTo("eth1");
    }

    @Test
    void serverAndAdminSettings() throws IOException {
        Binder binder = binder(EXAMPLE, "s3cret");

        ServerProperties server = binder.bind("server", Bindable.of(ServerProperties.class),
                new NoUnboundElementsBindHandler(BindHandler.DEFAULT)).get();
        assertThat(server.getAddress().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(server.getPort()).isEqualTo(9102);
        assertThat(binder.bind("trods.admin.password", String.class).get()).isEqualTo("s3cret");
    }

    @Test
    void theStrictCheckCatchesAMisspeltKeyAndTheIpvsDriverBinds(@TempDir Path dir) throws IOException {
        Path typo = dir.resolve("typo.yml");
        Files.writeString(typo, Files.readString(EXAMPLE).replace("backend-interface:", "backend-iface:"));
        assertThatThrownBy(() -> bind(binder(typo, "")))
                .isInstanceOf(BindException.class).rootCause().hasMessageContaining("backend-iface");

        Path ipvs = dir.resolve("ipvs.yml");
        Files.writeString(ipvs, Files.readString(EXAMPLE).replace("driver: nftables", "driver: ipvs"));
        BalancerProperties p = bind(binder(ipvs, ""));
        assertThat(p.driver()).isEqualTo("ipvs");
        assertThat(p.ipvs().commandChannel()).isEqualTo("local");
    }

    private static BalancerProperties bind(Binder binder) {
        return binder.bind("trods.balancer", Bindable.of(BalancerProperties.class), new NoUnboundElementsBindHandler(BindHandler.DEFAULT)).get();
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
