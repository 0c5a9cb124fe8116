package io.trods.agent.kernel;

import static io.trods.agent.kernel.StructsTest.ip;
import static io.trods.agent.kernel.VethNamespaces.run;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.trods.agent.engine.FastPath.Lane;
import io.trods.agent.pcap.CapturedPacket;
import io.trods.agent.pcap.PcapReader;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The kernel's fast path against the real kernel, as root, in two namespaces of its own: the
 * table of {@link FastPathRules} and the elements {@link NftLaneWriter} writes over netlink must
 * make the kernel rewrite a real connection's segments exactly as the engine would, let the
 * client's pure ACKs through with the mark, and leave no element behind once the lane ends.
 */
@Tag("lab")
class FastPathIT {

    static final String CLI = "trods-it-fast-cli";
    static final String SRV = "trods-it-fast-srv";
    static final Inet4Address CLIENT_IP = ip("198.18.98.1");
    static final Inet4Address SERVER_IP = ip("198.18.98.2");
    static final int PORT = 8080;
    static final int MIB = 1 << 20;
    static final String COUNTERS = """
            table ip trods_it_count {
              chain in {
                type filter hook input priority 0; policy accept;
                tcp dport 8080 meta mark 0x54520004 counter
                tcp dport 8080 tcp sport 40001 meta mark 0x54520004 counter comment "crafted-marked"
                tcp dport 8080 tcp sport 40001 meta mark != 0x54520004 counter comment "crafted-unmarked"
              }
              chain out {
                type filter hook output priority 0; policy accept;
                tcp sport 8080 meta mark 0x54520004 counter
              }
            }
            """;

    static final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "it-fastpath");
        t.setDaemon(true);
        return t;
    });
    static VethNamespaces namespaces;
    static NetNamespace cli;
    static NetNamespace srv;
    static int listener = -1;
    static NftLaneWriter writer;

    @BeforeAll
    static void createNamespaces() throws Exception {
        assertThat(FastPathRules.isAvailable()).as("cause: %s", FastPathRules.unavailabilityCause()).isTrue();
        namespaces = VethNamespaces.create(CLI, SRV, "198.18.98.1/24", "198.18.98.2/24");
        cli = namespaces.client;
        srv = namespaces.server;
        listener = srv.call(() -> TcpProbe.listen(ip("0.0.0.0"), PORT));
        srv.call(() -> {
            new FastPathRules(PORT).apply();
            return null;
        });
        Files.writeString(Path.of("/tmp/trods-it-fast-counters.nft"), COUNTERS);
        run("ip", "netns", "exec", SRV, "nft", "-f", "/tmp/trods-it-fast-counters.nft");
        writer = srv.call(() -> NftLaneWriter.open(Duration.ofMinutes(1), 1024));
    }

    @AfterAll
    static void deleteEverything() throws Exception {
        try {
            if (writer != null) {
                writer.close();
            }
            if (listener >= 0) {
                LibC.close(listener);
            }
            threads.shutdownNow();
        } finally {
            Files.deleteIfExists(Path.of("/tmp/trods-it-fast-counters.nft"));
            if (namespaces != null) {
                namespaces.close();
            }
        }
    }

    @Test
    void theKernelCapsTheLanesSegmentsAndLetsTheClientsPureAcksThrough() throws Exception {
        Path capture = Files.createTempFile("trods-it-fast", ".pcap");
        try (Socket client = cli.call(() -> {
            Socket s = new Socket();
            s.connect(new InetSocketAddress(SERVER_IP, PORT), 5000);
            s.setSoTimeout(20_000);
            return s;
        }); RepairedConnection server = new RepairedConnection(srv.call(() -> TcpProbe.accept(listener)))) {
            byte[] request = "GET /object HTTP/1.1\r\n\r\n".getBytes(US_ASCII);
            client.getOutputStream().write(request);
            byte[] got = new byte[request.length];
            for (int n = 0; n < got.length; ) {
                n += server.read(got, n, got.length - n);
            }
            int[] seqs = sequenceNumbers(server.fd()); // where the server stands: its next byte, the request's end
            int sendSeq = seqs[0];
            int requestEnd = seqs[1];

            Process tcpdump = namespaces.start("ip", "netns", "exec", CLI, "tcpdump", "-U", "--immediate-mode", "-n", "-s", "128", "-i", "veth0", "-w",
                    capture.toString(), "tcp and src port " + PORT);
            Thread.sleep(700); // tcpdump opens its socket
            // The engine's lane for a 8 MiB response: all but its last 2 MiB, zero window included.
            Lane lane = new Lane(ip32(CLIENT_IP), client.getLocalPort(), sendSeq, sendSeq + 6 * MIB, requestEnd - 1,
                    sendSeq, sendSeq + 8 * MIB - 1);
            long added = writer.lanesAdded(); // the other tests add lanes of their own
            writer.stream(lane);
            writer.zeroWindow(lane);
            await(() -> elements("caps").contains("expires") && elements("zero").contains("expires"), "the lane's elements");

            Future<Long> read = threads.submit(() -> StreamPattern.verify(client.getInputStream(), 0, 8L * MIB));
            for (int off = 0; off < 8 * MIB; off += 64 * 1024) {
                server.write(StreamPattern.bytes(off, 64 * 1024));
            }
            assertThat(read.get(20, TimeUnit.SECONDS)).as("every byte, in order").isEqualTo(8L * MIB);
            Thread.sleep(300);
            tcpdump.destroy();
            tcpdump.waitFor(5, TimeUnit.SECONDS);

            int inLane = 0;
            int beyond = 0;
            for (CapturedPacket packet : PcapReader.readIpv4(capture)) {
                ByteBuffer b = ByteBuffer.wrap(packet.ip());
                int ihl = (b.get(0) & 0x0F) * 4;
                int payload = packet.wireLength() - ihl - (b.get(ihl + 12) >>> 4 & 0x0F) * 4;
                int seq = b.getInt(ihl + 4);
                if (payload == 0) {
                    continue;
                }
                if (Integer.compareUnsigned(seq - sendSeq, 6 * MIB) <= 0) {
                    inLane++;
                    assertThat(b.getInt(ihl + 8)).as("ACK of a lane segment: the withheld byte").isEqualTo(requestEnd - 1);
                    assertThat(b.getShort(ihl + 14)).as("window of a lane segment").isZero();
                    assertThat(hasSack(b, ihl)).as("no SACK blocks on a lane segment").isFalse();
                } else {
                    beyond++;
                    assertThat(b.getInt(ihl + 8)).as("ACK beyond the lane: the kernel's own").isEqualTo(requestEnd);
                    assertThat(b.getShort(ihl + 14)).isNotZero();
                }
            }
            assertThat(inLane).isGreaterThan(10);
            assertThat(beyond).isPositive();
            String counters = run("ip", "netns", "exec", SRV, "nft", "list", "table", "ip", "trods_it_count");
            assertThat(markedPackets(counters, "dport")).as("pure ACKs let through: " + counters).isPositive();
            assertThat(markedPackets(counters, "sport")).as("segments rewritten: " + counters).isPositive();

            writer.end(lane);
            await(() -> !elements("caps").contains("expires") && !elements("zero").contains("expires")
                    && !elements("acks").contains("expires"), "no element left");
            writer.end(lane); // a second removal: absent elements are no failure
            Thread.sleep(300);
            assertThat(writer.failures()).isZero();
            assertThat(writer.lanesAdded()).isEqualTo(added + 1);
        } finally {
            Files.deleteIfExists(capture);
        }
    }

    @Test
    void applyingTwiceKeepsOneTableAndRemovingLeavesNone() throws Exception {
        FastPathRules rules = new FastPathRules(PORT);
        srv.call(() -> {
            rules.apply();
            rules.apply();
            return null;
        });
        String table = run("ip", "netns", "exec", SRV, "nft", "list", "table", "ip", FastPathRules.TABLE);
        assertThat(table.split("meta mark set", -1)).as("each rule once").hasSize(3);
        srv.call(() -> {
            rules.remove();
            rules.remove();
            return null;
        });
        assertThat(run("ip", "netns", "exec", SRV, "nft", "list", "tables")).doesNotContain(FastPathRules.TABLE);
        srv.call(() -> {
            rules.apply(); // for the other test, whatever the order
            return null;
        });
    }

    /**
     * A client's pure ACK is let through whatever its options: with SACK blocks (as every ACK is
     * while the client recovers a loss), with or without timestamps. A segment with a byte of data
     * and the same options is not: it still queues. Crafted segments from a raw socket, for a lane
     * of a port without a connection (the server answers them with RST, which does not matter).
     */
    @Test
    void pureAcksWithSackBlocksTakeTheLaneAndDataDoesNot() throws Exception {
        int port = 40001;
        Lane lane = new Lane(ip32(CLIENT_IP), port, 5_000_000, 9_000_000, 1000, 5_000_000, 9_000_000);
        writer.stream(lane);
        await(() -> elements("acks").contains(". " + port + " . "), "the lane's ACK range");
        byte[] timestamps = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
        byte[] twoBlocks = sack(7_000_000, 7_001_448, 7_002_896, 7_004_344);
        byte[] oneBlock = sack(7_000_000, 7_001_448);
        byte[] threeBlocks = sack(7_000_000, 7_001_448, 7_002_896, 7_004_344, 7_005_792, 7_007_240);
        try (RawSocket raw = cli.call(RawSocket::open)) {
            for (byte[][] shape : new byte[][][] {{timestamps, twoBlocks}, {oneBlock}, {timestamps, threeBlocks}, {timestamps}}) {
                byte[] segment = clientSegment(port, 999, 6_000_000, concat(shape), 0);
                raw.send(segment, segment.length, ip32(SERVER_IP));
            }
            byte[] data = clientSegment(port, 999, 6_000_000, concat(new byte[][] {timestamps, twoBlocks}), 1);
            raw.send(data, data.length, ip32(SERVER_IP));
            assertThat(raw.failures()).isZero();
        }
        await(() -> crafted("marked") + crafted("unmarked") >= 5, "the crafted segments at the server");
        assertThat(crafted("marked")).as("pure ACKs let through").isEqualTo(4);
        assertThat(crafted("unmarked")).as("a segment with data: queued").isEqualTo(1);
        writer.end(lane);
        await(() -> !elements("acks").contains(". " + port + " . "), "the lane gone");
    }

    /** A SACK option with the given blocks (left, right, ...), after two NOPs. */
    static byte[] sack(int... edges) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * edges.length).put((byte) 1).put((byte) 1).put((byte) 5)
                .put((byte) (2 + 4 * edges.length));
        for (int edge : edges) {
            b.putInt(edge);
        }
        return b.array();
    }

    static byte[] concat(byte[][] parts) {
        ByteBuffer b = ByteBuffer.allocate(java.util.Arrays.stream(parts).mapToInt(p -> p.length).sum());
        for (byte[] part : parts) {
            b.put(part);
        }
        return b.array();
    }

    /** A client's ACK segment (with PSH and that many bytes of data when {@code payload} > 0). */
    static byte[] clientSegment(int port, int seq, int ack, byte[] options, int payload) {
        int tcpLength = 20 + options.length;
        byte[] p = new byte[20 + tcpLength + payload];
        ByteBuffer b = ByteBuffer.wrap(p);
        b.put(0, (byte) 0x45).putShort(2, (short) p.length).putShort(6, (short) 0x4000).put(8, (byte) 64).put(9, (byte) 6)
                .putInt(12, ip32(CLIENT_IP)).putInt(16, ip32(SERVER_IP)); // the kernel fills in the IP checksum
        b.putShort(20, (short) port).putShort(22, (short) PORT).putInt(24, seq).putInt(28, ack)
                .put(32, (byte) (tcpLength / 4 << 4)).put(33, (byte) (payload > 0 ? 0x18 : 0x10)).putShort(34, (short) 1000);
        b.put(40, options);
        io.trods.agent.packet.TcpSegment segment = new io.trods.agent.packet.TcpSegment();
        assertThat(segment.wrap(p, 0, p.length)).isTrue();
        segment.finishChecksum();
        return p;
    }

    static long crafted(String which) {
        try {
            return counter(run("ip", "netns", "exec", SRV, "nft", "list", "table", "ip", "trods_it_count"),
                    "comment \"crafted-" + which + "\"");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The server socket's next sequence number to send and to receive, read in repair mode. */
    static int[] sequenceNumbers(int fd) throws Exception {
        TcpProbe.setInt(fd, LibC.SOL_TCP, LibC.TCP_REPAIR, LibC.TCP_REPAIR_ON);
        TcpProbe.setInt(fd, LibC.SOL_TCP, LibC.TCP_REPAIR_QUEUE, LibC.TCP_SEND_QUEUE);
        int send = TcpProbe.getInt(fd, LibC.SOL_TCP, LibC.TCP_QUEUE_SEQ);
        TcpProbe.setInt(fd, LibC.SOL_TCP, LibC.TCP_REPAIR_QUEUE, LibC.TCP_RECV_QUEUE);
        int receive = TcpProbe.getInt(fd, LibC.SOL_TCP, LibC.TCP_QUEUE_SEQ);
        TcpProbe.setInt(fd, LibC.SOL_TCP, LibC.TCP_REPAIR, LibC.TCP_REPAIR_OFF_NO_WP);
        return new int[] {send, receive};
    }

    static boolean hasSack(ByteBuffer b, int ihl) {
        int end = ihl + (b.get(ihl + 12) >>> 4 & 0x0F) * 4;
        for (int at = ihl + 20; at < end && at < b.limit(); ) {
            int kind = b.get(at) & 0xFF;
            if (kind == 0) {
                return false;
            }
            if (kind == 1) {
                at++;
                continue;
            }
            if (kind == 5) {
                return true;
            }
            at += Math.max(2, b.get(at + 1) & 0xFF);
        }
        return false;
    }

    /** The packets of the counter rule whose port match is {@code dport} (in) or {@code sport} (out). */
    static long markedPackets(String table, String port) {
        return counter(table, port + " 8080");
    }

    /** The packets of the first counter rule in {@code table} whose line contains {@code match}. */
    static long counter(String table, String match) {
        for (String line : table.split("\n")) {
            if (line.contains(match) && line.contains("counter packets")) {
                return Long.parseLong(line.replaceAll(".*counter packets (\\d+).*", "$1"));
            }
        }
        throw new AssertionError("no counter for " + match + " in " + table);
    }

    /** A set's (or the caps map's) listing; its elements show when they expire. */
    static String elements(String set) {
        try {
            return run("ip", "netns", "exec", SRV, "nft", "list", set.equals(FastPathRules.CAPS) ? "map" : "set", "ip",
                    FastPathRules.TABLE, set);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    static void await(BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    static int ip32(Inet4Address address) {
        return ByteBuffer.wrap(address.getAddress()).getInt();
    }
}
