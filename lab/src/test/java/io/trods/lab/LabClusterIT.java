package io.trods.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/** The lab as a user meets it: up, downloads through the VIP, spreading, status, a refused second up. */
@Tag("lab")
class LabClusterIT {

    @TempDir
    Path tmp;

    @BeforeAll
    static void clean() {
        Lab.down();
    }

    @AfterEach
    void tearDown() {
        Lab.down();
    }

    @AfterAll
    static void cleanAfter() {
        Lab.down();
    }

    @ParameterizedTest(name = "{0} servers")
    @ValueSource(ints = {2, 3})
    void everyObjectArrivesIntactAndNewConnectionsVisitEveryServer(int servers) throws Exception {
        Lab.up(servers, "none");
        JsonNode status = Lab.status();

        assertThat(status.get("up").asBoolean()).isTrue();
        assertThat(status.get("vip").asString()).isEqualTo("198.18.0.10");
        List<JsonNode> hosts = status.get("hosts").valueStream().toList();
        assertThat(hosts).extracting(h -> h.get("role").asString())
                .containsExactlyInAnyOrder(roles(servers));
        assertThat(hosts).allSatisfy(h -> {
            assertThat(h.get("state").asString()).isEqualTo("up");
            assertThat(h.get("address").asString()).startsWith("198.1");
            h.get("processes").valueStream().forEach(p -> assertThat(p.get("healthy").asBoolean())
                    .as("%s on %s healthy", p.get("name"), h.get("name")).isTrue());
        });
        List<String> paths = status.get("objects").valueStream().map(o -> o.get("path").asString()).toList();
        assertThat(paths).contains("/obj/1K.bin", "/obj/1M.bin", "/obj/64M.bin");

        // Each default object, through the VIP from the client, byte for byte.
        for (JsonNode object : status.get("objects")) {
            Path body = tmp.resolve("body");
            Lab.exec("client", "curl", "-sS", "--fail", "-o", body.toString(),
                    Lab.vipUrl(object.get("path").asString())).orFail();
            assertThat(Files.size(body)).isEqualTo(object.get("size").asLong());
            assertThat(Lab.sha256(body)).as(object.get("path").asString())
                    .isEqualTo(object.get("sha256").asString());
        }

        // New connections are spread: every server's own access log shows hits, and the response
        // header names the server that served.
        Map<String, Integer> servedBy = new HashMap<>();
        for (int i = 0; i < 4 * servers; i++) {
            Path headers = tmp.resolve("h" + i);
            Lab.exec("client", "curl", "-sS", "--fail", "-D", headers.toString(), "-o", "/dev/null",
                    Lab.vipUrl("/obj/1K.bin")).orFail();
            servedBy.merge(Lab.header(headers, "X-Served-By"), 1, Integer::sum);
        }
        for (int i = 1; i <= servers; i++) {
            String server = "server" + i;
            assertThat(servedBy).as("X-Served-By counts").containsKey(server);
            String accessLog = Files.readString(Lab.STATE.resolve(server).resolve("access.log"));
            assertThat(accessLog.lines().filter(l -> l.contains("GET /obj/1K.bin")).count())
                    .as("hits in %s's access log", server).isGreaterThan(0);
        }
        assertThat(servedBy.keySet()).hasSize(servers);
    }

    @Test
    void theClientLinkIsRateLimited() throws Exception {
        Lab.up(2, "20mbit");
        Path body = tmp.resolve("body");
        long start = System.nanoTime();
        Lab.exec("client", "curl", "-sS", "--fail", "-o", body.toString(), Lab.vipUrl("/obj/16M.bin")).orFail();
        double seconds = (System.nanoTime() - start) / 1e9;
        // 16 MiB at 20 Mbit/s is 6.7 s; without the limit it takes a fraction of a second.
        assertThat(seconds).as("download time").isGreaterThan(4.5);
        assertThat(Files.size(body)).isEqualTo(16L << 20);
    }

    @Test
    void aSecondUpIsRefusedAndLeavesTheFirstLabRunning() {
        Lab.up(2, "none");
        JsonNode before = Lab.status();

        Lab.Result second = Lab.trods("lab", "up", "--servers", "3");

        assertThat(second.exitCode()).isNotZero();
        assertThat(second.stderr()).contains("already up").contains("lab down");
        JsonNode after = Lab.status();
        assertThat(after.get("since")).isEqualTo(before.get("since"));
        assertThat(after.get("hosts")).isEqualTo(before.get("hosts"));
        Lab.exec("client", "curl", "-sS", "--fail", "-o", "/dev/null", Lab.vipUrl("/obj/1K.bin")).orFail();
    }

    @Test
    void badArgumentsGetAClearErrorAndCreateNothing() {
        assertThat(Lab.trods("lab", "up", "--servers", "1").stderr()).contains("--servers must be");
        assertThat(Lab.trods("lab", "up", "--rate", "fast").stderr()).contains("--rate must be");
        assertThat(Lab.trods("lab", "up", "--docroot", "/nonexistent").stderr()).contains("not a directory");
        assertThat(Lab.trods("lab", "exec", "nohost", "--", "true").stderr()).contains("not up");
        assertThat(Lab.namespaces()).isEmpty();
    }

    /** The hosts' roles: client, balancer, store, two liveness monitors, and the servers. */
    private static String[] roles(int servers) {
        String[] roles = new String[servers + 5];
        roles[0] = "client";
        roles[1] = "balancer";
        roles[2] = "store";
        roles[3] = "monitor";
        roles[4] = "monitor";
        for (int i = 0; i < servers; i++) {
            roles[5 + i] = "server";
        }
        return roles;
    }
}
