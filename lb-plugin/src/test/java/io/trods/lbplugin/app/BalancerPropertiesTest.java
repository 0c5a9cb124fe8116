package io.trods.lbplugin.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class BalancerPropertiesTest {

    private static BalancerProperties props(String driver, String source, String file, String connect) {
        return ipvs(driver, source, file, connect, null);
    }

    private static BalancerProperties ipvs(String driver, String source, String file, String connect, String channel) {
        return new BalancerProperties(driver, source, file, "balancer", null, null, null, null, null, null, null,
                new BalancerProperties.Zookeeper(connect, null, null, null), null, new BalancerProperties.Ipvs(channel));
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
        assertThat(p.ipvs().commandChannel()).isEqualTo("local");
        assertThat(p.ipvs().serialSocket()).isEmpty();
    }

    @Test
    void unknownDriversStopTheStart() {
        assertThatThrownBy(() -> props("iptables", null, null, "zk:2181"))
                .hasMessageContaining("trods.balancer.driver must be nftables or ipvs");
    }

    @Test
    void ipvsRunsLocallyOrThroughAGuestControlSocket() {
        BalancerProperties local = props(" IPVS ", null, null, "zk:2181");
        assertThat(local.driver()).isEqualTo("ipvs");
        assertThat(local.ipvs().commandChannel()).isEqualTo("local");
        assertThat(local.ipvs().serialSocket()).isEmpty();

        BalancerProperties guest = ipvs("ipvs", null, null, "zk:2181", "serial:/run/trods-ipvs/lab/ctl.sock");
        assertThat(guest.ipvs().serialSocket()).contains(Path.of("/run/trods-ipvs/lab/ctl.sock"));

        assertThatThrownBy(() -> ipvs("ipvs", null, null, "zk:2181", "serial:relative.sock"))
                .hasMessageContaining("trods.balancer.ipvs.command-channel must be local or serial:/");
        assertThatThrownBy(() -> ipvs("ipvs", null, null, "zk:2181", "ssh:director"))
                .hasMessageContaining("trods.balancer.ipvs.command-channel");
    }

    @Test
    void sourcesNeedTheirLocation() {
        assertThatThrownBy(() -> props(null, "zookeeper", null, "")).hasMessageContaining("trods.balancer.zookeeper.connect");
        assertThatThrownBy(() -> props(null, "file", "", null)).hasMessageContaining("trods.balancer.file");
        assertThat(props(null, "file", "/etc/trods/desired.json", null).fromZooKeeper()).isFalse();
    }
}
