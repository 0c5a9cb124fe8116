package io.trods.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The problem TRODS exists to solve, documented as a test on a lab without agents (--baseline):
 * a download whose server is crash-stopped stalls (the balancer keeps the connection on the dead
 * server) or fails. {@link RecoveryIT} is the same scene with TRODS.
 */
@Tag("lab")
class BaselineCrashIT {

    private static final long MIB = 1 << 20;

    @TempDir
    Path tmp;

    private Process download;

    @BeforeEach
    void up() {
        Lab.down();
        Lab.up(2, "40mbit", "--baseline");
    }

    @AfterEach
    void down() {
        if (download != null) {
            download.destroyForcibly();
        }
        Lab.down();
    }

    @Test
    void aDownloadWhoseServerCrashesStallsOrFails() throws Exception {
        Path headers = tmp.resolve("headers");
        Path body = tmp.resolve("body");
        download = Lab.start(tmp.resolve("out"), tmp.resolve("err"), "client",
                "curl", "-sS", "-D", headers.toString(), "-o", body.toString(), Lab.vipUrl("/obj/64M.bin"));
        waitFor(() -> Lab.size(body) >= 8 * MIB, 20_000, "8 MiB received");
        String server = Lab.header(headers, "X-Served-By");
        assertThat(server).startsWith("server");

        Lab.trods("lab", "crash", server).orFail();

        JsonNode crashed = host(Lab.status(), server);
        assertThat(crashed.get("state").asString()).isEqualTo("crashed");
        assertThat(crashed.get("processes").isEmpty()).isTrue();
        Lab.trods("lab", "pool", "remove", server).orFail();
        // Bytes already in flight may still land; then nothing for a long while.
        Thread.sleep(2_000);
        long afterCrash = Lab.size(body);
        Thread.sleep(6_000);
        long later = Lab.size(body);
        boolean stalled = download.isAlive() && later == afterCrash && later < 64 * MIB;
        boolean failed = !download.isAlive() && download.exitValue() != 0;
        assertThat(stalled || failed)
                .as("stalled (alive=%s, %d then %d bytes) or failed", download.isAlive(), afterCrash, later)
                .isTrue();
    }

    @Test
    void aRevivedServerComesBackEmptyAndServes() throws Exception {
        long crashedPid = host(Lab.status(), "server1").get("processes").get(0).get("pid").asLong();
        Lab.trods("lab", "crash", "server1").orFail();
        assertThat(host(Lab.status(), "server1").get("processes").isEmpty()).isTrue();

        Lab.trods("lab", "revive", "server1").orFail();

        JsonNode revived = host(Lab.status(), "server1");
        assertThat(revived.get("state").asString()).isEqualTo("up");
        JsonNode nginx = revived.get("processes").get(0);
        assertThat(nginx.get("healthy").asBoolean()).isTrue();
        assertThat(nginx.get("pid").asLong()).isNotEqualTo(crashedPid);
        // It answers directly, from the balancer, with its own name.
        Lab.Result direct = Lab.exec("balancer", "curl", "-sS", "-D", "-", "-o", "/dev/null",
                "http://198.19.0.11/obj/1K.bin").orFail();
        assertThat(direct.stdout()).contains("X-Served-By: server1");
        assertThat(Lab.trods("lab", "revive", "server1").stderr()).contains("has not crashed");
    }

    private static JsonNode host(JsonNode status, String name) {
        return status.get("hosts").valueStream().filter(h -> h.get("name").asString().equals(name))
                .findFirst().orElseThrow();
    }

    private static void waitFor(java.util.function.BooleanSupplier condition, long millis, String what) {
        Lab.waitFor(condition, millis, what);
    }
}
