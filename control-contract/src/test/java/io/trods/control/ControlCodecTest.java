package io.trods.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ControlCodecTest {

    private final ControlCodec codec = new ControlCodec();

    static DesiredState sample() {
        VirtualService web = new VirtualService("web", "198.18.0.10", 80, "tcp", "mh", "nat",
                List.of(new Backend("server1", "198.19.0.11", 80, 1), new Backend("server3", "198.19.0.13", 80, 0)),
                List.of(new FailedServer("server2", "198.19.0.12", "http: timeout x3", 1234L)));
        return new DesiredState(7, 1000L, "monitor1", List.of(web));
    }

    @Test
    void desiredStateRoundTrips() throws Exception {
        DesiredState state = sample();
        DesiredState back = codec.desiredState(codec.encode(state));
        assertThat(back).isEqualTo(state);
        assertThat(back.services().get(0).hasFailed("server2")).isTrue();
        assertThat(back.services().get(0).backend("server3").orElseThrow().drained()).isTrue();
    }

    @Test
    void otherDocumentsRoundTrip() throws Exception {
        AgentRegistration reg = new AgentRegistration("server1", "198.19.0.11", 80, List.of("198.18.0.10:80"), 5L);
        assertThat(codec.agentRegistration(codec.encode(reg))).isEqualTo(reg);
        ServerOverride drain = new ServerOverride("server1", true, null, "admin", 9L);
        assertThat(codec.serverOverride(codec.encode(drain))).isEqualTo(drain);
        DirectorStatus status = new DirectorStatus("balancer", "nftables", 7, 11L, "");
        assertThat(codec.directorStatus(codec.encode(status))).isEqualTo(status);
    }

    @Test
    void sameDecisionIgnoresVersionAndPublisher() {
        DesiredState a = sample();
        DesiredState b = a.next(99L, "monitor2", a.services());
        assertThat(b.version()).isEqualTo(8);
        assertThat(b.sameDecisionAs(a)).isTrue();
        assertThat(b.sameDecisionAs(a.next(1L, "m", List.of()))).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "not json",
        "{\"version\":0,\"publishedAtMillis\":1,\"publishedBy\":\"m\",\"services\":[]}",
        "{\"version\":1,\"publishedAtMillis\":1,\"publishedBy\":\"m\",\"services\":[],\"extra\":1}",
        "{\"publishedAtMillis\":1,\"publishedBy\":\"m\",\"services\":[]}",
        "{\"version\":1,\"publishedAtMillis\":1,\"publishedBy\":\"m\",\"services\":[{\"name\":\"web\",\"address\":\"300.1.1.1\",\"port\":80,\"protocol\":\"tcp\",\"scheduler\":\"mh\",\"forwarding\":\"nat\",\"backends\":[],\"failed\":[]}]}",
        "{\"version\":1,\"publishedAtMillis\":1,\"publishedBy\":\"m\",\"services\":[{\"name\":\"web\",\"address\":\"1.1.1.1\",\"port\":80,\"protocol\":\"udp\",\"scheduler\":\"mh\",\"forwarding\":\"nat\",\"backends\":[],\"failed\":[]}]}",
        "{\"version\":1,\"publishedAtMillis\":1,\"publishedBy\":\"m\",\"services\":[{\"name\":\"web\",\"address\":\"1.1.1.1\",\"port\":80,\"protocol\":\"tcp\",\"scheduler\":\"mh\",\"forwarding\":\"nat\",\"backends\":[{\"serverId\":\"a\",\"address\":\"1.1.1.2\",\"port\":80,\"weight\":1},{\"serverId\":\"a\",\"address\":\"1.1.1.3\",\"port\":80,\"weight\":1}],\"failed\":[]}]}",
        "{\"version\":1,\"publishedAtMillis\":1,\"publishedBy\":\"m\",\"services\":[{\"name\":\"../x\",\"address\":\"1.1.1.1\",\"port\":80,\"protocol\":\"tcp\",\"scheduler\":\"mh\",\"forwarding\":\"nat\",\"backends\":[],\"failed\":[]}]}",
    })
    void malformedDesiredStateIsRejectedWithAReason(String json) {
        assertThatThrownBy(() -> codec.desiredState(json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(InvalidDocumentException.class)
                .hasMessageContaining("DesiredState");
    }

    @Test
    void layoutRefusesPathsThatEscapeTheRoot() {
        ZkLayout layout = ZkLayout.defaults();
        assertThat(layout.agent("server1")).isEqualTo("/trods/agents/server1");
        assertThat(ZkLayout.lastName(layout.director("lb1"))).isEqualTo("lb1");
        assertThatThrownBy(() -> layout.agent("../desired")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ZkLayout("trods")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ServerOverride("s", false, 0, "", 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
