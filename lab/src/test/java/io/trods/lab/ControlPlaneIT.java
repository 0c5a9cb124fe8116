package io.trods.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The control plane for real: two liveness monitors probing the servers and publishing through the
 * store's ZooKeeper, the lb-plugin applying the decision to the balancer's nftables table. Nothing
 * here touches the balancer's table; the tests crash, freeze and cut things, and watch the table
 * ({@code lab pool}) and the components' actuators.
 */
@Tag("lab")
class ControlPlaneIT {

    private static final int PLUGIN = 9102;
    private static final int MONITOR = 9103;

    @TempDir
    Path tmp;

    @AfterEach
    void down() {
        Lab.down();
    }

    @Test
    void aCrashedServerLeavesTheBalancerAndARevivedOneReturns() {
        Lab.up(3, "none");
        assertThat(Lab.pool()).containsExactly("server1", "server2", "server3");

        long crashed = System.currentTimeMillis();
        Lab.trods("lab", "crash", "server2").orFail();
        Lab.waitFor(() -> !Lab.pool().contains("server2"), 10_000, "server2 out of the balancer's table");
        System.out.printf("crash -> out of the table: %d ms (lab commands included; bench/detection.sh measures it)%n",
                System.currentTimeMillis() - crashed);
        assertThat(Lab.pool()).containsExactly("server1", "server3");
        JsonNode view = Lab.actuator("monitor1", MONITOR, "pool");
        assertThat(view.toString()).contains("server2");

        Lab.trods("lab", "revive", "server2").orFail();
        Lab.waitFor(() -> Lab.pool().contains("server2"), 30_000, "server2 back in the table");
    }

    @Test
    void aFollowerTakesOverWhenTheLeadersHostCrashesAndVersionsOnlyGrow() throws Exception {
        Lab.up(2, "none");
        String leader = leader();
        String follower = leader.equals("monitor1") ? "monitor2" : "monitor1";
        long before = appliedVersion();
        List<Long> versions = new ArrayList<>();
        Thread sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    versions.add(appliedVersion());
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException | AssertionError e) {
                    // a sample lost to a busy moment; the next one counts
                }
            }
        });
        sampler.start();
        try {
            long t0 = System.currentTimeMillis();
            Lab.trods("lab", "crash", leader).orFail();
            Lab.waitFor(() -> follower.equals(leaderSeenBy(follower)), 20_000, follower + " leading");
            System.out.printf("leader host crash -> %s leads: %d ms%n", follower, System.currentTimeMillis() - t0);

            Lab.trods("lab", "crash", "server1").orFail();
            Lab.waitFor(() -> !Lab.pool().contains("server1"), 15_000, "server1 out of the table, decided by " + follower);
        } finally {
            sampler.interrupt();
            sampler.join();
        }
        assertThat(appliedVersion()).isGreaterThan(before);
        assertThat(versions).as("versions applied over time").isSorted();
    }

    @Test
    void duringAZooKeeperOutageTheTableStaysAndAfterItEverythingConverges() throws Exception {
        Lab.up(2, "none");
        long zookeeper = pid("store", "zookeeper");
        Lab.run(List.of("kill", "-STOP", Long.toString(zookeeper)), 5).orFail();
        try {
            Thread.sleep(6_000); // longer than every session timeout
            assertThat(Lab.pool()).as("fail-static").containsExactly("server1", "server2");
            assertThat(Lab.actuator("balancer", PLUGIN, "health").get("status").asString()).isNotEqualTo("UP");
            for (JsonNode host : Lab.status().get("hosts")) {
                for (JsonNode process : host.get("processes")) {
                    assertThat(process.get("pid").isNull()).as("%s on %s is running", process.get("name"), host.get("name"))
                            .isFalse();
                }
            }
            Lab.exec("client", "curl", "-sS", "--fail", "-o", "/dev/null", Lab.vipUrl("/obj/1M.bin")).orFail();
        } finally {
            Lab.run(List.of("kill", "-CONT", Long.toString(zookeeper)), 5).orFail();
        }
        Lab.waitFor(() -> "UP".equals(Lab.actuator("balancer", PLUGIN, "health").get("status").asString()), 30_000,
                "the lb-plugin reconnected");
        Lab.waitFor(() -> leader() != null, 30_000, "a leading monitor");
        Lab.trods("lab", "crash", "server2").orFail();
        Lab.waitFor(() -> !Lab.pool().contains("server2"), 15_000, "server2 out of the table after the outage");
    }

    @Test
    void whenTheMonitorsLoseSightOfEveryServerNothingIsRemoved() throws Exception {
        Lab.up(2, "none");
        for (String monitor : List.of("monitor1", "monitor2")) {
            Lab.exec(monitor, "nft", "add table ip cut; add chain ip cut out { type filter hook output priority 0; }; "
                    + "add rule ip cut out ip daddr { 198.19.0.11, 198.19.0.12 } drop").orFail();
        }
        Thread.sleep(3_000);
        assertThat(Lab.pool()).as("panic: no mass removal").containsExactly("server1", "server2");
        assertThat(monitorLogs()).containsIgnoringCase("panic");

        for (String monitor : List.of("monitor1", "monitor2")) {
            Lab.exec(monitor, "nft", "delete table ip cut").orFail();
        }
        Thread.sleep(1_000);
        Lab.trods("lab", "crash", "server1").orFail();
        Lab.waitFor(() -> Lab.pool().equals(List.of("server2")), 15_000, "server1 removed once the view is back");
    }

    /**
     * The window and the hold-down are long against the loop: on a slow machine each lab command
     * takes up to a second, and with 20 s and 8 s the flaps outlasted the window, or the hold-down
     * ended before the check.
     */
    @Test
    void aFlappingServerIsHeldOutAndEveryTransitionIsLogged() throws Exception {
        Lab.upWith(Map.of("TRODS_LAB_MONITOR_ARGS",
                "--trods.monitor.flap.window=60s --trods.monitor.flap.max-transitions=4 --trods.monitor.flap.hold-down=30s"),
                2, "none");
        String cut = "add table ip flap; add chain ip flap in { type filter hook input priority 0; }; "
                + "add rule ip flap in tcp dport 80 ip saddr { 198.19.0.3, 198.19.0.4 } drop";
        for (int i = 0; i < 5; i++) {
            Lab.exec("server1", "nft", cut).orFail();
            Lab.waitFor(() -> !Lab.pool().contains("server1"), 10_000, "server1 out (flap " + i + ")");
            Lab.exec("server1", "nft", "delete table ip flap").orFail();
            if (i < 2) {
                Lab.waitFor(() -> Lab.pool().contains("server1"), 10_000, "server1 back (flap " + i + ")");
            } else {
                Thread.sleep(1_500);
            }
        }
        long stable = System.currentTimeMillis();
        Thread.sleep(3_000);
        String transitions = monitorLogs().lines().filter(l -> l.contains("198.19.0.11") && l.contains(" -> "))
                .collect(java.util.stream.Collectors.joining("\n"));
        assertThat(Lab.pool()).as("held out although healthy again; the monitors' transitions of server1 (198.19.0.11):%n%s",
                transitions).containsExactly("server2");
        Lab.waitFor(() -> Lab.pool().contains("server1"), 45_000, "server1 back after the hold-down");
        System.out.printf("held out for %d ms after the flapping stopped%n", System.currentTimeMillis() - stable);
        assertThat(monitorLogs()).containsIgnoringCase("flapping").contains("server1");
    }

    @Test
    void aDrainedServerFinishesItsDownloadsTakesNoNewOnesAndDrainingNeedsCredentials() throws Exception {
        Lab.up(2, "40mbit");
        Path body = tmp.resolve("body");
        Path headers = tmp.resolve("headers");
        Process download = Lab.start(tmp.resolve("out"), tmp.resolve("err"), "client", "curl", "-sS",
                "-D", headers.toString(), "-o", body.toString(), Lab.vipUrl("/obj/64M.bin"));
        Lab.waitFor(() -> Lab.header(headers, "X-Served-By") != null, 10_000, "the response head");
        String server = Lab.header(headers, "X-Served-By");
        String other = server.equals("server1") ? "server2" : "server1";
        String leader = leader();

        Lab.Result refused = Lab.exec(leader, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                "-H", "Content-Type: application/json", "-d", "{\"action\":\"drain\"}",
                "http://127.0.0.1:" + MONITOR + "/actuator/pool/" + server);
        assertThat(refused.stdout()).isEqualTo("401");
        assertThat(Lab.pool()).contains(server);

        Lab.trods("lab", "pool", "drain", server).orFail();
        Lab.waitFor(() -> !Lab.pool().contains(server), 10_000, server + " drained");
        for (int i = 0; i < 4; i++) {
            Path h = tmp.resolve("h" + i);
            Lab.exec("client", "curl", "-sS", "-D", h.toString(), "-o", "/dev/null", Lab.vipUrl("/obj/1K.bin")).orFail();
            assertThat(Lab.header(h, "X-Served-By")).isEqualTo(other);
        }
        assertThat(download.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(download.exitValue()).isZero();
        assertThat(Lab.sha256(body)).isEqualTo("ef386df6a1433a5506dc057b4c655105208c08fe9589bdc55d3c3325e4a00798");

        Lab.trods("lab", "pool", "undrain", server).orFail();
        Lab.waitFor(() -> Lab.pool().contains(server), 10_000, server + " back after undrain");
    }

    /**
     * probe.type=agent: the monitors judge a server by its recovery agent's health (the agents'
     * actuators listen beyond localhost here). The agent of a live server is killed: that server
     * leaves the table although its nginx still answers.
     */
    @Test
    void withTheAgentProbeAServerWhoseAgentDiedIsTakenOut() throws Exception {
        Lab.upWith(Map.of("TRODS_LAB_AGENT_ARGS", "--server.address=0.0.0.0",
                // The agent's health is a Spring endpoint, slower than nginx's /healthz: at 150 ms a
                // slow machine's agent answered late and its server was taken out.
                "TRODS_LAB_MONITOR_ARGS", "--trods.monitor.probe.type=agent --trods.monitor.probe.timeout=1s "
                        + "--trods.monitor.probe.answer-timeout=1s"), 2, "none");
        assertThat(Lab.pool()).containsExactly("server1", "server2");
        assertThat(Lab.actuator("monitor1", MONITOR, "pool").toString())
                .contains("agent://198.19.0.11:9101/actuator/health");

        Lab.run(List.of("kill", "-9", Long.toString(pid("server1", "agent"))), 5).orFail();

        Lab.waitFor(() -> Lab.pool().equals(List.of("server2")), 10_000, "server1 out after its agent died");
        Lab.exec("client", "curl", "-sS", "--fail", "-o", "/dev/null", Lab.vipUrl("/obj/1M.bin")).orFail();
    }

    /**
     * The balancer's part of a failover, seen on the wire: after a crash, the client's next packet
     * of its connection (not a SYN) arrives at the surviving server (tcpdump in its namespace).
     */
    @Test
    void aCrashedServersConnectionSendsItsNextPacketToTheSurvivor() throws Exception {
        Lab.up(2, "20mbit");
        Path body = tmp.resolve("body");
        Path headers = tmp.resolve("headers");
        Process download = Lab.start(tmp.resolve("out"), tmp.resolve("err"), "client", "curl", "-sS",
                "-D", headers.toString(), "-o", body.toString(), Lab.vipUrl("/obj/64M.bin"));
        Lab.waitFor(() -> Lab.size(body) >= 4L << 20, 20_000, "4 MiB received");
        String server = Lab.header(headers, "X-Served-By");
        String survivor = server.equals("server1") ? "server2" : "server1";
        String port = Lab.clientPort();
        Path capture = tmp.resolve("capture");
        Process tcpdump = Lab.captureFirst(capture, tmp.resolve("tcpdump.err"), survivor, 20,
                // The client's address too: a monitor's probe may use the same ephemeral port.
                "src host 198.18.0.2 and tcp src port " + port + " and tcp[tcpflags] & tcp-syn == 0");
        Thread.sleep(500); // tcpdump listening

        Lab.trods("lab", "crash", server).orFail();

        assertThat(tcpdump.waitFor(25, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(capture)).as("the first packet of the client's connection at " + survivor)
                .contains("198.18.0.2." + port + " >");
        assertThat(download.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(download.exitValue()).isZero();
    }

    /** Weights reach the kernel: with rr, new connections follow them exactly (3 to 1). */
    @Test
    void aWeightSetThroughTheMonitorShapesTheBalancersTable() throws Exception {
        Lab.up(2, "none");
        Lab.trods("lab", "pool", "weight", "server1", "3").orFail();
        Lab.waitFor(() -> Lab.exec("balancer", "nft", "list", "table", "ip", "trods_balancer").stdout()
                .contains("0-2 : 198.19.0.11"), 10_000, "server1 with 3 of 4 slots in the balancer's map");
        Map<String, Integer> servedBy = new java.util.HashMap<>();
        for (int i = 0; i < 8; i++) {
            Path h = tmp.resolve("h" + i);
            Lab.exec("client", "curl", "-sS", "-D", h.toString(), "-o", "/dev/null", Lab.vipUrl("/obj/1K.bin")).orFail();
            servedBy.merge(Lab.header(h, "X-Served-By"), 1, Integer::sum);
        }
        assertThat(servedBy).containsEntry("server1", 6).containsEntry("server2", 2);
    }

    // --- helpers --------------------------------------------------------------------------------

    private static String leaderSeenBy(String monitor) {
        try {
            JsonNode leader = Lab.actuator(monitor, MONITOR, "pool").get("leader");
            return leader == null || leader.isNull() ? null : leader.asString();
        } catch (RuntimeException | AssertionError e) {
            return null;
        }
    }

    private static String leader() {
        for (String monitor : List.of("monitor1", "monitor2")) {
            String leader = leaderSeenBy(monitor);
            if (leader != null && !leader.isEmpty()) {
                return leader;
            }
        }
        return null;
    }

    private static long appliedVersion() {
        return Lab.actuator("balancer", PLUGIN, "balancer").get("appliedVersion").asLong();
    }

    private static long pid(String host, String name) {
        for (JsonNode h : Lab.status().get("hosts")) {
            if (h.get("name").asString().equals(host)) {
                for (JsonNode p : h.get("processes")) {
                    if (p.get("name").asString().equals(name)) {
                        return p.get("pid").asLong();
                    }
                }
            }
        }
        throw new AssertionError("no " + name + " on " + host);
    }

    private static String monitorLogs() throws Exception {
        StringBuilder logs = new StringBuilder();
        for (String monitor : List.of("monitor1", "monitor2")) {
            Path log = Lab.STATE.resolve(monitor).resolve("monitor.log");
            if (Files.exists(log)) {
                logs.append(Files.readString(log));
            }
        }
        return logs.toString();
    }
}
