package io.trods.agent.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import io.trods.agent.netlink.NetlinkBuffer;
import io.trods.agent.netlink.Nfqueue;
import io.trods.agent.netlink.QueuedPacket;
import io.trods.agent.packet.TcpSegment;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What the agent's rules log rather than queue, against the real kernel in namespaces of their own:
 * a SYN goes on without a verdict, and its copy arrives on the queues' own socket before the
 * connection's first queued packet; a client's data is logged, except on a socket the agent
 * recreated (marked), where it is queued.
 */
@Tag("lab")
class PacketLogIT {

    static final String NS = "trods-it-hslog";
    static final String CLI = "trods-it-log-cli";
    static final String SRV = "trods-it-log-srv";
    static final int PORT = 8080;
    static final int QUEUE = 7;
    static final int GROUP = 9;

    @Test
    void theSynGoesOnAtOnceAndItsCopyComesBeforeTheFirstQueuedPacket() throws Exception {
        run("ip", "netns", "delete", NS); // left by a killed run
        assertThat(run("ip", "netns", "add", NS)).isZero();
        try (NetNamespace ns = NetNamespace.open(NS)) {
            assertThat(run("ip", "-n", NS, "link", "set", "lo", "up")).isZero();
            String syn = "-p tcp --dport " + PORT + " --tcp-flags SYN,ACK,RST SYN";
            for (String rule : List.of(
                    "-A INPUT " + syn + " -j NFLOG --nflog-group " + GROUP + " --nflog-threshold 1",
                    "-A INPUT " + syn + " -j ACCEPT",
                    "-A INPUT -p tcp --dport " + PORT + " -j NFQUEUE --queue-num " + QUEUE + " --queue-bypass")) {
                List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", NS, "iptables", "-w", "-t", "mangle"));
                command.addAll(List.of(rule.split(" ")));
                assertThat(run(command.toArray(String[]::new))).as(rule).isZero();
            }
            NfQueueSocket socket = ns.call(() -> NfQueueSocket.open(new int[] {QUEUE}, 16, Nfqueue.FLAG_FAIL_OPEN, 2000,
                    GROUP));
            try (ServerSocketChannel server = ns.call(ServerSocketChannel::open);
                    SocketChannel client = ns.call(SocketChannel::open)) {
                server.bind(new InetSocketAddress("127.0.0.1", PORT));
                long start = System.nanoTime();
                client.socket().connect(new InetSocketAddress("127.0.0.1", PORT), 3000);
                long connectMillis = (System.nanoTime() - start) / 1_000_000;
                client.write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));

                NetlinkBuffer in = new NetlinkBuffer(NfQueueSocket.BUFFER_BYTES);
                QueuedPacket message = new QueuedPacket();
                TcpSegment segment = new TcpSegment();
                List<String> seen = new ArrayList<>();
                boolean dataAnswered = false;
                NetlinkBuffer out = new NetlinkBuffer(256);
                for (int round = 0; round < 10 && !dataAnswered; round++) {
                    int n = socket.receive(in);
                    for (int at = 0; at < n; ) {
                        at = Nfqueue.parse(in, at, n, message);
                        if (message.kind == QueuedPacket.Kind.LOGGED) {
                            assertThat(segment.wrap(in.array(), message.payloadOffset, message.payloadLength)).isTrue();
                            seen.add("logged " + flags(segment) + " #" + message.packetId + " group " + message.queue
                                    + " hook " + message.hook);
                        } else if (message.kind == QueuedPacket.Kind.PACKET) {
                            assertThat(segment.wrap(in.array(), message.payloadOffset, message.payloadLength)).isTrue();
                            seen.add("queued " + flags(segment));
                            dataAnswered |= segment.payloadLength() > 0;
                            Nfqueue.verdict(out.clear(), message.queue, message.packetId, Nfqueue.NF_ACCEPT, -1);
                            socket.send(out);
                        }
                    }
                }

                assertThat(connectMillis).as("the SYN waited for no verdict").isLessThan(1500);
                assertThat(seen).as("in order on one socket").first()
                        .isEqualTo("logged S #0 group " + GROUP + " hook 1");
                assertThat(seen).filteredOn(s -> s.startsWith("logged")).hasSize(1);
                assertThat(seen).contains("queued P.");
                try (SocketChannel accepted = server.accept()) {
                    ByteBuffer read = ByteBuffer.allocate(16);
                    accepted.read(read);
                    assertThat(new String(read.array(), 0, read.position(), StandardCharsets.US_ASCII)).isEqualTo("hello");
                }
            } finally {
                socket.close();
            }
        } finally {
            run("ip", "netns", "delete", NS);
        }
    }

    @Test
    void withTheAgentsRulesARecoveredConnectionsClientDataIsQueuedAndAnyOtherLogged() throws Exception {
        for (String ns : List.of(CLI, SRV)) {
            run("ip", "netns", "delete", ns);
            assertThat(run("ip", "netns", "add", ns)).isZero();
        }
        List<Integer> fds = new ArrayList<>();
        try (NetNamespace cli = NetNamespace.open(CLI); NetNamespace srv = NetNamespace.open(SRV)) {
            assertThat(run("ip", "-n", CLI, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns", SRV))
                    .isZero();
            run("ip", "-n", CLI, "addr", "add", "198.18.97.1/24", "dev", "veth0");
            run("ip", "-n", SRV, "addr", "add", "198.18.97.2/24", "dev", "veth1");
            for (String[] link : new String[][] {{CLI, "veth0"}, {CLI, "lo"}, {SRV, "veth1"}, {SRV, "lo"}}) {
                assertThat(run("ip", "-n", link[0], "link", "set", link[1], "up")).isZero();
            }
            srv.call(() -> {
                new InterceptionRules(PORT, QUEUE, QUEUE + 1, List.of(), GROUP, true).apply();
                return null;
            });
            NfQueueSocket socket = srv.call(() -> NfQueueSocket.open(new int[] {QUEUE, QUEUE + 1}, 64,
                    Nfqueue.FLAG_FAIL_OPEN, 2000, GROUP));
            java.net.Inet4Address server = (java.net.Inet4Address) java.net.InetAddress.getByName("198.18.97.2");
            int listener = srv.call(() -> TcpProbe.listen(server, PORT));
            fds.add(listener);
            try (SocketChannel plain = cli.call(SocketChannel::open); SocketChannel recovered = cli.call(SocketChannel::open)) {
                plain.connect(new InetSocketAddress(server, PORT));
                fds.add(TcpProbe.accept(listener));
                recovered.connect(new InetSocketAddress(server, PORT));
                int marked = TcpProbe.accept(listener);
                fds.add(marked);
                // What TcpRepair does to the sockets it recreates.
                TcpProbe.setInt(marked, LibC.SOL_SOCKET, LibC.SO_MARK, InterceptionRules.RECOVERED_MARK);
                plain.write(ByteBuffer.wrap("plain".getBytes(StandardCharsets.US_ASCII)));
                recovered.write(ByteBuffer.wrap("recovered".getBytes(StandardCharsets.US_ASCII)));

                NetlinkBuffer in = new NetlinkBuffer(NfQueueSocket.BUFFER_BYTES);
                NetlinkBuffer out = new NetlinkBuffer(256);
                QueuedPacket message = new QueuedPacket();
                TcpSegment segment = new TcpSegment();
                List<String> data = new ArrayList<>();
                for (int round = 0; round < 20 && data.size() < 2; round++) {
                    int n = socket.receive(in);
                    for (int at = 0; at < n; ) {
                        at = Nfqueue.parse(in, at, n, message);
                        if (message.kind != QueuedPacket.Kind.LOGGED && message.kind != QueuedPacket.Kind.PACKET) {
                            continue;
                        }
                        assertThat(segment.wrap(in.array(), message.payloadOffset, message.payloadLength)).isTrue();
                        if (segment.dstPort() == PORT && segment.payloadLength() > 0) {
                            data.add(new String(in.array(), segment.payloadOffset(), segment.payloadLength(),
                                    StandardCharsets.US_ASCII) + " " + message.kind);
                        }
                        if (message.kind == QueuedPacket.Kind.PACKET) {
                            Nfqueue.verdict(out.clear(), message.queue, message.packetId, Nfqueue.NF_ACCEPT, -1);
                            socket.send(out);
                        }
                    }
                }
                assertThat(data).containsExactlyInAnyOrder("plain LOGGED", "recovered PACKET");
            } finally {
                socket.close();
            }
        } finally {
            for (int fd : fds) {
                LibC.close(fd);
            }
            run("ip", "netns", "delete", CLI);
            run("ip", "netns", "delete", SRV);
        }
    }

    private static String flags(TcpSegment segment) {
        String flags = (segment.has(TcpSegment.SYN) ? "S" : "") + (segment.payloadLength() > 0 ? "P" : "");
        return flags + (segment.has(TcpSegment.ACK) ? "." : "");
    }

    private static int run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getInputStream().readAllBytes();
        return process.waitFor(10, TimeUnit.SECONDS) ? process.exitValue() : -1;
    }
}
