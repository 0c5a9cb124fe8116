package io.trods.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** `lab down` leaves nothing behind, whatever state the lab was left in. */
@Tag("lab")
class LabTeardownIT {

    @AfterEach
    void down() {
        Lab.down();
    }

    @Test
    void downRemovesNamespacesLinksRulesAndProcesses() {
        Lab.down();
        List<String> linksBefore = rootLinks();
        String tablesBefore = rootNftTables();
        Lab.up(3, "40mbit");
        Lab.trods("lab", "crash", "server2").orFail(); // a crashed host must go too
        List<Long> pids = new ArrayList<>();
        for (JsonNode host : Lab.status().get("hosts")) {
            host.get("processes").valueStream().forEach(p -> pids.add(p.get("pid").asLong()));
        }
        // nginx and agents of two servers, redis, zookeeper, two monitors, the lb-plugin
        assertThat(pids).hasSizeGreaterThanOrEqualTo(9);
        assertThat(Lab.namespaces()).hasSize(9); // switch, client, balancer, 3 servers, 2 monitors, store

        Lab.down();

        assertNothingLeft(pids, linksBefore, tablesBefore);
        assertThat(Lab.trods("lab", "down").orFail().stdout()).contains("nothing to remove");
        assertThat(Lab.status().get("up").asBoolean()).isFalse();
    }

    @Test
    void downCleansUpAfterAnUpThatWasKilledHalfway() throws Exception {
        Lab.down();
        List<String> linksBefore = rootLinks();
        String tablesBefore = rootNftTables();
        Process up = upHalfway();
        // SIGKILL: no trap runs, exactly the interrupted case that `down` must handle.
        up.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        up.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        assertThat(Lab.namespaces()).as("leftovers to clean").isNotEmpty();

        Lab.down();

        assertNothingLeft(List.of(), linksBefore, tablesBefore);
    }

    @Test
    void anInterruptedUpRemovesWhatItCreated() throws Exception {
        Lab.down();
        Process up = upHalfway();
        Lab.run(List.of("kill", "-INT", Long.toString(up.pid())), 5).orFail(); // Ctrl-C
        assertThat(up.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(up.exitValue()).isNotZero();
        assertThat(Lab.namespaces()).isEmpty();
        assertThat(Files.exists(Lab.STATE)).isFalse();
    }

    /** Starts a lab up and returns once it has created some of the hosts. */
    private static Process upHalfway() throws java.io.IOException {
        Process up = new ProcessBuilder(Lab.HOME.resolve("trods").toString(), "lab", "up", "--servers", "3")
                .directory(Lab.HOME.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        Lab.waitFor(() -> Lab.namespaces().contains("trods-server1"), 30_000, "lab up to create server1");
        return up;
    }

    private static void assertNothingLeft(List<Long> pids, List<String> linksBefore, String tablesBefore) {
        assertThat(Lab.namespaces()).as("namespaces").isEmpty();
        assertThat(Files.exists(Lab.STATE)).as("state directory").isFalse();
        for (long pid : pids) {
            assertThat(running(pid)).as("process %d", pid).isFalse();
        }
        assertThat(rootLinks()).as("links of the root namespace").isEqualTo(linksBefore);
        assertThat(rootNftTables()).as("nftables tables of the root namespace").isEqualTo(tablesBefore);
        assertThat(Lab.run(List.of("pgrep", "-f", "/run/trods-lab/"), 10).stdout()).as("lab processes").isEmpty();
    }

    /** Alive and not a zombie: killed processes wait for the machine's init to reap them. */
    private static boolean running(long pid) {
        try {
            String stat = Files.readString(java.nio.file.Path.of("/proc", Long.toString(pid), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (java.io.IOException gone) {
            return false;
        }
    }

    private static List<String> rootLinks() {
        return Lab.run(List.of("ip", "-o", "link", "show"), 10).orFail().stdout().lines()
                .map(line -> line.split(":")[1].trim()).sorted().toList();
    }

    private static String rootNftTables() {
        return Lab.run(List.of("nft", "list", "tables"), 10).orFail().stdout();
    }
}
