package io.trods.monitor.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class MonitorPropertiesTest {

    @Test
    void defaults() {
        MonitorProperties p = new MonitorProperties("m1", null, null, null, null, null, null, null);

        assertThat(p.zookeeper().embedded()).isTrue();
        assertThat(p.zookeeper().embeddedPort()).isEqualTo(2181);
        assertThat(p.zookeeper().sessionTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(p.layout().desired()).isEqualTo("/trods/desired");
        assertThat(p.probe()).isEqualTo(new MonitorProperties.Probe("http", "/healthz", 200, Duration.ofMillis(50),
                Duration.ofMillis(150), Duration.ofMillis(500), 2, 3, null));
        assertThat(p.flap()).isEqualTo(new MonitorProperties.Flap(Duration.ofSeconds(10), 4, Duration.ofSeconds(30)));
        assertThat(p.panicThreshold()).isEqualTo(0.5);
        assertThat(p.publishInterval()).isEqualTo(Duration.ofSeconds(1));
        MonitorProperties.Service web = new MonitorProperties.Service("web", "198.18.0.10", 80, null, null, null, null);
        assertThat(web.scheduler()).isEqualTo("mh");
        assertThat(web.forwarding()).isEqualTo("nat");
    }

    @Test
    void invalidValuesNameTheProperty() {
        assertThatThrownBy(() -> new MonitorProperties.Probe("icmp", null, null, null, null, null, null, null, null))
                .hasMessageContaining("trods.monitor.probe.type");
        assertThatThrownBy(() -> new MonitorProperties.Service("web", "198.18.0.10", 80, null, "tun", null, null))
                .hasMessageContaining("forwarding");
        assertThatThrownBy(() -> new MonitorProperties("m1", null, null, null, 1.5, null, null, null))
                .hasMessageContaining("trods.monitor.panic-threshold");
        assertThatThrownBy(() -> new MonitorProperties("m1", null, List.of(
                new MonitorProperties.Service("web", "198.18.0.10", 80, null, null, null, null),
                new MonitorProperties.Service("web", "198.18.0.11", 80, null, null, null, null)), null, null, null, null, null))
                .hasMessageContaining("configured twice");
        assertThatThrownBy(() -> new MonitorProperties.Zookeeper(null, Duration.ZERO, null, null, null))
                .hasMessageContaining("session-timeout");
    }

    @Test
    void aServiceOverridesTheMonitorsProbeSettings() {
        MonitorProperties.Probe global = new MonitorProperties.Probe(null, null, null, null, null, null, null, null, null);
        assertThat(global.spec().timeoutMillis()).as("the handshake's bound").isEqualTo(150);
        assertThat(global.spec().answerTimeoutMillis()).as("the answer's bound").isEqualTo(500);
        MonitorProperties.Probe slower = global.with(new MonitorProperties.ProbeOverride(null, null, null,
                Duration.ofMillis(200), Duration.ofMillis(500), Duration.ofSeconds(1), 4, null, null));
        assertThat(slower).isEqualTo(new MonitorProperties.Probe("http", "/healthz", 200, Duration.ofMillis(200),
                Duration.ofMillis(500), Duration.ofSeconds(1), 4, 3, null));
        assertThat(global.with(null)).isSameAs(global);

        MonitorProperties.Probe agent = global.with(new MonitorProperties.ProbeOverride("agent", null, null, null, null,
                null, null, null, null));
        assertThat(agent.path()).as("not the http probe's path").isEqualTo("/actuator/health");
        assertThat(agent.port()).isEqualTo(9101);
        assertThat(agent.spec().probed(new io.trods.monitor.probe.ServerEndpoint("10.0.0.1", 80)))
                .isEqualTo(new io.trods.monitor.probe.ServerEndpoint("10.0.0.1", 9101));
        assertThat(global.spec().probed(new io.trods.monitor.probe.ServerEndpoint("10.0.0.1", 80)).port()).isEqualTo(80);
        assertThatThrownBy(() -> global.with(new MonitorProperties.ProbeOverride(null, null, null, null, null, null, 0, null, null)))
                .hasMessageContaining("fall");
        assertThatThrownBy(() -> global.with(new MonitorProperties.ProbeOverride(null, null, null, null, null, Duration.ZERO,
                null, null, null))).hasMessageContaining("answer-timeout");
    }
}
