package io.trods.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The normal path must never hurt a download that would work without TRODS. */
@Tag("lab")
class ProtectionIT {

    private static final String BIG_SHA256 = "ef386df6a1433a5506dc057b4c655105208c08fe9589bdc55d3c3325e4a00798";

    @TempDir
    Path tmp;

    @AfterEach
    void down() {
        Lab.down();
    }

    /**
     * A Linux client gives up on an unacknowledged byte after tcp_retries2 retransmissions, even
     * while data arrives: 13 s with tcp_retries2=5. The download lasts 27 s at 20 Mbit/s. With the
     * zero window it completes; without it (the control, which shows that this test can fail) the
     * client aborts.
     */
    @Test
    void theWithheldByteNeverMakesAClientAbortALongDownload() {
        Lab.up(2, "20mbit");
        Lab.exec("client", "sysctl", "-qw", "net.ipv4.tcp_retries2=5").orFail();
        Path body = tmp.resolve("body");

        Lab.Result curl = Lab.exec("client", "curl", "-sS", "-o", body.toString(), Lab.vipUrl("/obj/64M.bin"));

        assertThat(curl.exitCode()).as(curl.stderr()).isZero();
        assertThat(Lab.sha256(body)).isEqualTo(BIG_SHA256);
    }

    @Test
    void withoutTheZeroWindowTheSameClientAborts() {
        Lab.run(List.of("env", "TRODS_LAB_AGENT_ARGS=--trods.agent.zero-window=false",
                Lab.HOME.resolve("trods").toString(), "lab", "up", "--rate", "20mbit"), 300).orFail();
        Lab.exec("client", "sysctl", "-qw", "net.ipv4.tcp_retries2=5").orFail();

        Lab.Result curl = Lab.exec("client", "curl", "-sS", "-o", tmp.resolve("body").toString(),
                Lab.vipUrl("/obj/64M.bin"));

        assertThat(curl.exitCode()).as("curl's exit code (56: connection aborted)").isNotZero();
    }

    /**
     * Garbage, oversized and malformed requests on the port: each is left to nginx (which answers
     * 400 and closes), nothing is protected or stored, and the servers keep serving. A head that
     * completes is counted as malformed; one that nginx refuses before it completes simply ends.
     */
    @Test
    void hostileRequestsAreLeftAloneAndNothingIsStored() {
        Lab.up(2, "none");
        String[] payloads = {
            "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xfc\\x03\\x03", // a TLS ClientHello's start
            "GET / HTTP/1.1\\r\\nHost: x\\r\\n folded: header\\r\\n\\r\\n",
            "GET /obj/1M.bin HTTP/1.1\\r\\nX: " + "a".repeat(20000) + "\\r\\n\\r\\n",
            "GARBAGE GARBAGE GARBAGE\\r\\n\\r\\n",
        };
        for (String payload : payloads) {
            // bash's /dev/tcp: an unmodified client sending raw bytes, then reading whatever comes.
            Lab.exec("client", "bash", "-c", "exec 3<>/dev/tcp/198.18.0.10/80; printf '" + payload
                    + "' >&3; timeout 2 cat <&3 >/dev/null; exit 0").orFail();
        }
        double malformed = 0;
        for (String server : List.of("server1", "server2")) {
            malformed += Lab.agentCounter(server, "trods.agent.responses", "reason:MALFORMED_REQUEST")
                    + Lab.agentCounter(server, "trods.agent.responses", "reason:REQUEST_TOO_LARGE");
            assertThat(Lab.agentCounter(server, "trods.agent.responses", "protected:true")).isZero();
            assertThat(Lab.agentHealth(server).get("components").get("protection").get("status").asString())
                    .isEqualTo("UP");
        }
        assertThat(malformed).as("malformed heads counted").isGreaterThanOrEqualTo(1);
        // Each connection had a handshake record; closed connections' records are removed in the background.
        java.util.function.Supplier<String> records =
                () -> Lab.exec("store", "redis-cli", "--scan", "--pattern", "trods:flow:*").orFail().stdout().strip();
        Lab.waitFor(() -> records.get().isEmpty(), 5_000, () -> "no flow record left in Redis, but: " + records.get());
        Lab.exec("client", "curl", "-sS", "--fail", "-o", "/dev/null", Lab.vipUrl("/obj/1M.bin")).orFail();
    }

    /**
     * Recovery must not become a way to make servers query the store, open connections or hold
     * memory for anyone who asks: a flood of segments of connections nobody has (6,000 ACKs, each
     * from a port of its own) is answered as the kernel would (a reset each), store lookups stay
     * within the agents' budget (lowered here to 300 a second so that the limit shows), no state is
     * kept, and a real download during the flood completes intact.
     */
    @Test
    void aFloodOfUnknownSegmentsIsAnsweredByTheKernelAndCostsAtMostTheLookupBudget() throws Exception {
        Lab.upWith(java.util.Map.of("TRODS_LAB_AGENT_ARGS", "--trods.agent.lookups-per-second=300"), 2, "none");
        java.nio.file.Path body = java.nio.file.Files.createTempFile("trods-flood", ".bin");
        try {
            Process download = Lab.start(body.resolveSibling(body.getFileName() + ".out"),
                    body.resolveSibling(body.getFileName() + ".err"), "client", "curl", "-sS", "--fail",
                    "--limit-rate", "4M", "-o", body.toString(), Lab.vipUrl("/obj/16M.bin"));
            Lab.Result flood = Lab.exec("client", "python3", Lab.HOME.resolve("lab/tools/unknown-flood.py").toString(),
                    "198.18.0.2", "198.18.0.10", "80", "2000", "3").orFail();
            tools.jackson.databind.JsonNode result = tools.jackson.databind.json.JsonMapper.builder().build()
                    .readTree(flood.stdout());
            long sent = result.get("sent").asLong();
            assertThat(sent).isGreaterThanOrEqualTo(5_000);
            assertThat(result.get("resets").asLong()).as("resets for %d unknown segments", sent)
                    .isGreaterThanOrEqualTo(sent * 95 / 100);

            double lookups = 0;
            double limited = 0;
            for (String server : List.of("server1", "server2")) {
                double found = Lab.agentCounter(server, "trods.agent.unknown.packets", "outcome:NO_RECORD");
                // 3 s at 300 a second, the burst (30), and a second of slack for the flood's tail.
                assertThat(found).as("%s's store lookups", server).isLessThanOrEqualTo(300 * 4 + 30);
                lookups += found;
                limited += Lab.agentCounter(server, "trods.agent.unknown.packets", "outcome:RATE_LIMITED");
                assertThat(Lab.agentHealth(server).get("components").get("protection").get("details")
                        .get("trackedFlows").asInt()).as("flows %s tracks after the flood", server).isLessThanOrEqualTo(1);
                assertThat(Lab.exec(server, "ss", "-tnH", "state", "established", "( sport = :80 )").stdout().lines()
                        .filter(l -> !l.contains("198.19.0.")).count()).as("connections opened on %s", server).isLessThanOrEqualTo(1);
            }
            assertThat(lookups).isPositive();
            assertThat(limited).as("segments beyond the lookup budget").isPositive();
            assertThat(download.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(download.exitValue()).isZero();
            assertThat(Lab.sha256(body)).isEqualTo("779f960ad76a1dbf2985160ea48d4e6a208229ae702782ca34049b7c1e3f66fb");
        } finally {
            java.nio.file.Files.deleteIfExists(body);
        }
    }
}
