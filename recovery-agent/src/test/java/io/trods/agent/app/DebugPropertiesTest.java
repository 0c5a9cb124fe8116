package io.trods.agent.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

class DebugPropertiesTest {

    @Test
    void theDumpIsOffUnlessAFileIsSet() {
        assertThat(new AgentProperties.Debug(null, null).pcapEnabled()).isFalse();
        assertThat(new AgentProperties.Debug("  ", null).pcapEnabled()).isFalse();
        assertThat(new AgentProperties.Debug(null, null).pcapMaxSize()).isEqualTo(DataSize.ofMegabytes(100));
        AgentProperties.Debug on = new AgentProperties.Debug("/var/tmp/trods.pcap", DataSize.ofMegabytes(8));
        assertThat(on.pcapEnabled()).isTrue();
        assertThat(on.pcapFile()).isEqualTo("/var/tmp/trods.pcap");
    }

    @Test
    void aRelativePathOrACapBelowOneMegabyteIsRefused() {
        assertThatThrownBy(() -> new AgentProperties.Debug("trods.pcap", null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("absolute");
        assertThatThrownBy(() -> new AgentProperties.Debug("/var/tmp/trods.pcap", DataSize.ofKilobytes(512)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pcap-max-size");
    }
}
