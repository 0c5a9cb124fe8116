package io.trods.lbplugin.nftables;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class NftablesTableReaderTest {

    private final NftablesTableReader reader = new NftablesTableReader();

    /** The fixture is the JSON form of the renderer's golden rules; {@code nft -c -j -f} accepts it. */
    @Test
    void readsBackWhatTheRendererWrites() throws IOException {
        assertThat(reader.read(fixture("list-table.json"))).isEqualTo(Tables.listed());
    }

    @Test
    void ignoresRulesItDoesNotKnow() {
        String json = """
                {"nftables": [{"metainfo": {"version": "1.0.6"}},
                 {"rule": {"family": "ip", "table": "trods_balancer", "chain": "prerouting", "handle": 4, "expr": [
                   {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "198.19.0.1"}},
                   {"accept": null}]}}]}
                """;

        assertThat(reader.read(json).services()).isEmpty();
    }

    @Test
    void withoutCommentTheSchedulerIsGuessedFromTheSelector() {
        String json = """
                {"nftables": [{"rule": {"family": "ip", "table": "trods_balancer", "chain": "prerouting", "expr": [
                   {"match": {"op": "==", "left": {"payload": {"protocol": "ip", "field": "daddr"}}, "right": "198.19.0.1"}},
                   {"match": {"op": "==", "left": {"payload": {"protocol": "tcp", "field": "dport"}}, "right": 80}},
                   {"dnat": {"addr": {"map": {"key": {"numgen": {"mode": "inc", "mod": 1, "offset": 0}},
                     "data": {"set": [[0, "198.19.0.11"]]}}}}}]}}]}
                """;

        assertThat(reader.read(json).services().values()).singleElement()
                .satisfies(s -> assertThat(s.scheduler()).isEqualTo("rr"))
                .satisfies(s -> assertThat(s.backends()).containsOnlyKeys(
                        io.trods.lbplugin.table.Endpoint.parse("198.19.0.11:80")));
    }

    @Test
    void notJsonIsAnError() {
        assertThatThrownBy(() -> reader.read("table ip trods_balancer {")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid JSON");
    }

    static String fixture(String name) throws IOException {
        try (InputStream in = NftablesTableReaderTest.class.getResourceAsStream("/nftables/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
