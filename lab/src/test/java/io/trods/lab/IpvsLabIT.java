package io.trods.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole of TRODS with a real IPVS director ({@code lab up --balancer ipvs}: Debian's kernel
 * under qemu takes the balancer's addresses; the lb-plugin on the host programs it with ipvsadm
 * through the guest's serial port), in NAT and in direct-routing mode. What the tests look at is the guest kernel's own table
 * ({@code ipvsadm -Ln} in the guest) and what arrives on the wire, never the plugin's view of it.
 */
@Tag("lab")
class IpvsLabIT {

    private static final String GUEST_CTL = "lab/ipvs/guestctl.py";

    @TempDir
    Path tmp;

    @AfterEach
    void down() {
        Lab.down();
    }

    /**
     * Crash, and nothing else: the monitors detect it, the plugin deletes the real server in the
     * guest, IPVS (expire_nodest_conn, sloppy_tcp) sends the client's next packet of its connection
     * to the survivor (captured there), the survivor's agent (prompted through the director) takes
     * the connection over, and the object arrives byte-identical.
     */
    @Test
    void aCrashedServersDownloadContinuesOnTheSurvivorThroughRealIpvs() throws Exception {
        Lab.up(2, "40mbit", "--balancer", "ipvs");
        assertThat(ipvsTable()).contains("198.19.0.11:80", "198.19.0.12:80").contains("Masq");
        assertThat(Lab.status().get("balancer").asString()).isEqualTo("ipvs");
        assertThat(Lab.status().get("forwarding").asString()).isEqualTo("nat");

        crashMidDownload(server -> { });
    }

    /**
     * The same in direct-routing mode, LVS's usual one for object delivery: the director hands
     * the client's packets to the server unchanged (addressed to the VIP, which the servers hold on
     * lo, with the shipped {@code 90-trods-realserver-dr.conf} applied), and the servers answer from
     * the VIP through a router, past the director. The survivor recreates the connection on the VIP
     * and its prompt reaches the client without the director.
     */
    @Test
    void aCrashedServersDownloadContinuesOnTheSurvivorThroughIpvsDirectRouting() throws Exception {
        Lab.up(2, "40mbit", "--balancer", "ipvs", "--forwarding", "dr");
        assertThat(ipvsTable()).contains("198.19.0.11:80", "198.19.0.12:80").contains("Route").doesNotContain("Masq");
        assertThat(Lab.status().get("forwarding").asString()).isEqualTo("dr");

        crashMidDownload(server -> {
            // Not translated: the server's socket is the VIP's, so the director did not rewrite.
            String sockets = Lab.exec(server, "ss", "-tnH", "state", "established", "( sport = :80 )")
                    .orFail().stdout().replaceAll("[ \\t]+", " ");
            assertThat(sockets).as("%s's connections from port 80", server)
                    .contains("198.18.0.10:80 198.18.0.2:" + Lab.clientPort());
            // Past the director: its back link carries none of the server's segments (from the
            // VIP) for two seconds, while the client keeps receiving them through the switch's router.
            long before = Lab.size(tmp.resolve("body"));
            Lab.Result director = Lab.exec("balancer", "timeout", "2", "tcpdump", "-n", "-l", "-c", "1",
                    "-i", "eth1", "src host 198.18.0.10 and tcp src port 80");
            assertThat(director.exitCode()).as("tcpdump on the director's back link timed out empty: %s %s",
                    director.stdout(), director.stderr()).isEqualTo(124);
            assertThat(Lab.size(tmp.resolve("body"))).as("bytes received meanwhile").isGreaterThan(before);
        });
    }

    /**
     * A 64 MiB download through the VIP, its server crashed after 4 MiB (after {@code whileServed}
     * looked at it): the survivor's agent is prompted through the director, the client's next
     * packet reaches the survivor, and the object ends byte-identical.
     */
    private void crashMidDownload(java.util.function.Consumer<String> whileServed) throws Exception {
        Path body = tmp.resolve("body");
        Path headers = tmp.resolve("headers");
        Process download = Lab.start(tmp.resolve("out"), tmp.resolve("err"), "client", "curl", "-sS",
                "-D", headers.toString(), "-o", body.toString(), Lab.vipUrl("/obj/64M.bin"));
        Lab.waitFor(() -> Lab.size(body) >= 4L << 20, 30_000, "4 MiB received through the IPVS director");
        String server = Lab.header(headers, "X-Served-By");
        String survivor = server.equals("server1") ? "server2" : "server1";
        whileServed.accept(server);
        String port = Lab.clientPort();
        Path capture = tmp.resolve("capture");
        Process tcpdump = Lab.captureFirst(capture, tmp.resolve("tcpdump.err"), survivor, 30,
                // The client's address too: a monitor's probe may use the same ephemeral port (it did once).
                "src host 198.18.0.2 and tcp src port " + port + " and tcp[tcpflags] & tcp-syn == 0");
        // The survivor's prompt, from the VIP through the director: the only segment of the
        // connection without TCP options (the server's own segments carry timestamps).
        Path promptCapture = tmp.resolve("prompt");
        Process promptDump = Lab.captureFirst(promptCapture, tmp.resolve("prompt.err"), "client", 30,
                "src host 198.18.0.10 and src port 80 and dst port " + port
                        + " and (tcp[12] & 0xf0) == 0x50");
        Thread.sleep(500); // tcpdumps listening
        double recoveredBefore = recoveries(survivor);

        Lab.crash(server);

        Lab.waitFor(() -> !ipvsTable().contains(serverAddress(server)), 15_000,
                () -> server + " out of the guest's IPVS table:\n" + ipvsTable());
        assertThat(Lab.pool()).containsExactly(survivor);
        assertThat(tcpdump.waitFor(35, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(capture)).as("the first packet of the client's connection at " + survivor)
                .contains("198.18.0.2." + port + " >");
        assertThat(promptDump.waitFor(35, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(promptCapture)).as("the survivor's prompt at the client")
                .contains("198.18.0.10.80 > 198.18.0.2." + port);
        assertThat(download.waitFor(90, TimeUnit.SECONDS)).as("the download ends").isTrue();
        assertThat(download.exitValue()).as(Files.readString(tmp.resolve("err"))).isZero();
        assertThat(Lab.sha256(body)).isEqualTo("ef386df6a1433a5506dc057b4c655105208c08fe9589bdc55d3c3325e4a00798");
        assertThat(recoveries(survivor)).as("recoveries by %s's agent", survivor).isGreaterThan(recoveredBefore);
    }

    /** Weights and drains decided by the monitor reach the guest's kernel as IPVS weights. */
    @Test
    void weightsAndDrainsReachTheGuestsIpvsTable() {
        Lab.up(2, "none", "--balancer", "ipvs");
        Lab.trods("lab", "pool", "weight", "server1", "3").orFail();
        Lab.waitFor(() -> ipvsTable().matches("(?s).*198\\.19\\.0\\.11:80\\s+Masq\\s+3\\s.*"), 10_000,
                () -> "weight 3 for server1 in the guest:\n" + ipvsTable());
        Lab.trods("lab", "pool", "drain", "server2").orFail();
        Lab.waitFor(() -> ipvsTable().matches("(?s).*198\\.19\\.0\\.12:80\\s+Masq\\s+0\\s.*"), 10_000,
                () -> "weight 0 (drained) for server2 in the guest:\n" + ipvsTable());
        assertThat(Lab.pool()).containsExactly("server1");
        for (int i = 0; i < 4; i++) {
            Path h = tmp.resolve("h" + i);
            Lab.exec("client", "curl", "-sS", "-D", h.toString(), "-o", "/dev/null", Lab.vipUrl("/obj/1K.bin")).orFail();
            assertThat(Lab.header(h, "X-Served-By")).isEqualTo("server1");
        }
        Lab.trods("lab", "pool", "undrain", "server2").orFail();
        Lab.waitFor(() -> Lab.pool().contains("server2"), 10_000, "server2 back with a weight above 0");
    }

    private static String ipvsTable() {
        return Lab.run(java.util.List.of(Lab.HOME.resolve(GUEST_CTL).toString(),
                Lab.STATE.resolve("balancer/guest/admin.sock").toString(), "--timeout", "10", "ipvsadm", "-Ln"), 20)
                .orFail().stdout();
    }

    private static String serverAddress(String server) {
        return "198.19.0." + (10 + Integer.parseInt(server.substring("server".length()))) + ":80";
    }

    private static double recoveries(String server) {
        return Lab.agentCounter(server, "trods.agent.unknown.packets", "outcome:RECOVERED");
    }
}
