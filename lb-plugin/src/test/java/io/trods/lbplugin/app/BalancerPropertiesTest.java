package io.trods.lbplugin.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BalancerPropertiesTest {

    private static BalancerProperties props(String driver, String source, String file, String connect) {
        return new BalancerProperties(driver, source, file, "balancer", null, null, null, null, null, null, null,
                new BalancerProperties.Zookeeper(connect, null, null, null), null);
    }

    @Test
    void defaults() {
        BalancerProperties p = props(null, null, null, "198.19.0.2:2181");

        assertThat(p.driver()).isEqualTo("nftables");
        assertThat(p.fromZooKeeper()).isTrue();
        assertThat(p.minSyncInterval()).isEqualTo(Duration.ofMillis(20));
        assertThat(p.fullResyncInterval()).isEqualTo(Duration.ofSeconds(60));
        assertThat(p.zookeeper().sessionTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(p.zookeeper().connectionTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(p.zookeeper().layout().desired()).isEqualTo("/trods/desired");
        assertThat(p.manageSysctls()).isFalse();
        assertThat(p.nftables().backendInterface()).isEmpty();
    }

    @Test
    void unknownOrUnimplementedDriversStopTheStart() {
        assertThatThrownBy(() -> props("ipvs", null, null, "zk:2181")).hasMessage(
                "trods.balancer.driver ipvs is not implemented yet: use nftables");
        assertThatThrownBy(() -> props("iptables", null, null, "zk:2181"))
                .hasMessageContaining("trods.balancer.driver must be nftables");
    }

    @Test
    void sourcesNeedTheirLocation() {
        assertThatThrownBy(() -> props(null, "zookeeper", null, "")).hasMessageContaining("trods.balancer.zookeeper.connect");
        assertThatThrownBy(() -> props(null, "file", "", null)).hasMessageContaining("trods.balancer.file");
        assertThat(props(null, "file", "/etc/trods/desired.json", null).fromZooKeeper()).isFalse();
    }
}
