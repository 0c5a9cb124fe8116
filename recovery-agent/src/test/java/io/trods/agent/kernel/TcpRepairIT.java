package io.trods.agent.kernel;

import static io.trods.agent.kernel.StructsTest.ip;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * TCP_REPAIR end to end, as root, in two namespaces of its own joined by a veth pair: a client
 * downloads from a server socket that then vanishes without a packet, and a socket recreated with
 * {@link TcpRepair} carries the same client connection on. The server keeps a wildcard listener on
 * the port throughout, as nginx would on the surviving server.
 */
@Tag("lab")
class TcpRepairIT {

    // Names of our own: other lab ITs may run at the same time with other trods-it-* namespaces.
    static final String CLI = "trods-it-repair-cli";
    static final String SRV = "trods-it-repair-srv";
    static final Inet4Address CLIENT_IP = ip("198.18.99.1");
    static final Inet4Address SERVER_IP = ip("198.18.99.2");
    static final int PORT = 8080;
    static final int MIB = 1 << 20;
    static final Duration TIMEOUT = Duration.ofSeconds(20);

    static final ExecutorService readers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "it-client-reader");
        t.setDaemon(true);
        return t;
    });
    static VethNamespaces namespaces;
    static NetNamespace cli;
    static NetNamespace srv;
    static int listener = -1;

    @BeforeAll
    static void createNamespaces() throws Exception {
        assertThat(TcpRepair.isAvailable()).as("TCP_REPAIR available (cause: %s)", TcpRepair.unavailabilityCause()).isTrue();
        namespaces = VethNamespaces.create(CLI, SRV, "198.18.99.1/24", "198.18.99.2/24");
        cli = namespaces.client;
        srv = namespaces.server;
        listener = srv.call(() -> TcpProbe.listen(ip("0.0.0.0"), PORT)); // like nginx's "listen 8080"
    }

    @AfterAll
    static void deleteEverything() throws Exception {
        try {
            if (listener >= 0) {
                LibC.close(listener);
            }
            readers.shutdownNow();
        } finally {
            if (namespaces != null) {
                namespaces.close();
            }
        }
    }

    @Test
    void repairModeNotReuseAddrLetsUsBindNextToAWildcardListener() throws Exception {
        assertThat(srv.call(() -> TcpProbe.bindErrno(SERVER_IP, PORT, false, false))).isEqualTo(LibC.EADDRINUSE);
        assertThat(srv.call(() -> TcpProbe.bindErrno(SERVER_IP, PORT, true, false))).isEqualTo(LibC.EADDRINUSE);
        assertThat(srv.call(() -> TcpProbe.bindErrno(SERVER_IP, PORT, false, true))).isZero();
    }

    @Test
    void recreatedConnectionContinuesTheClientsDownloadByteForByte() throws Exception {
        try (Client client = Client.connect()) {
            RepairedConnection original = client.acceptAndExchangeRequest();
            client.download(original, 0, MIB);

            RepairSpec spec = captureAndDestroy(original, client);
            assertThat(spec.mss()).isEqualTo(1460);
            assertThat(spec.sackPermitted()).isTrue();
            assertThat(spec.timestamps()).isTrue();
            assertThat(spec.sndWscale()).isPositive();

            RepairedConnection recreated = srv.call(() -> TcpRepair.recreate(spec));
            // TCP_MAXSEG before connect: without it the send MSS would stay at the default 524.
            assertThat(TcpProbe.info(recreated.fd()).sndMss()).isEqualTo(spec.mss() - 12); // less the timestamp option
            client.download(recreated, MIB, 4 * MIB);
            client.upload(recreated, "GET /next HTTP/1.1\r\n\r\n");

            recreated.close();
            assertThat(client.in.read()).as("orderly end of stream, not a reset").isEqualTo(-1);
        }
    }

    @Test
    void connectionSurvivesRepeatedRecreation() throws Exception {
        try (Client client = Client.connect()) {
            RepairedConnection original = client.acceptAndExchangeRequest();
            client.download(original, 0, 256 * 1024);
            RepairSpec spec = captureAndDestroy(original, client);

            long[] nanos = new long[7];
            for (int i = 0; i < nanos.length; i++) {
                // The client answers an out-of-window ACK (our window probe) at most every 500 ms
                // (net.ipv4.tcp_invalid_ratelimit); wait, so that every probe is answered.
                Thread.sleep(550);
                RepairSpec current = spec;
                int k = i;
                RepairedConnection interim = srv.call(() -> {
                    long start = System.nanoTime();
                    RepairedConnection c = TcpRepair.recreate(current);
                    nanos[k] = System.nanoTime() - start;
                    return c;
                });
                // The reply to the window probe: it must be in before the socket goes, or it would draw a RST.
                TcpProbe.awaitSegmentsIn(interim.fd(), 1, Duration.ofSeconds(2));
                RepairSpec seen = TcpProbe.capture(interim.fd(), SERVER_IP, PORT, CLIENT_IP, client.port());
                assertSameConnectionState(seen, spec);
                interim.discard();
                spec = spec.withTimestamps(seen.tsVal(), 0);
            }
            Arrays.sort(nanos);
            System.out.printf("TcpRepair.recreate after 0.55 s idle: median %.1f us, min %.1f us, max %.1f us over %d%n",
                    nanos[nanos.length / 2] / 1e3, nanos[0] / 1e3, nanos[nanos.length - 1] / 1e3, nanos.length);

            RepairSpec first = spec;
            RepairedConnection one = srv.call(() -> TcpRepair.recreate(first));
            client.download(one, 256 * 1024, MIB);
            RepairSpec after = captureAndDestroy(one, client);
            // What the agent would compute from the client's ACK: the same place.
            assertThat(after.sendSeq()).isEqualTo(first.sendSeq() + MIB);

            RepairSpec second = first.withSequences(first.sendSeq() + MIB, first.recvSeq()).withTimestamps(after.tsVal(), 0);
            RepairedConnection two = srv.call(() -> TcpRepair.recreate(second));
            client.download(two, 256 * 1024 + MIB, 2 * MIB);
            client.upload(two, "GET /again HTTP/1.1\r\n\r\n");
            two.close();
            assertThat(client.in.read()).as("orderly end of stream, not a reset").isEqualTo(-1);
        }
    }

    /**
     * PAWS: with a TSval below what the client last saw, the client drops every data segment (counting
     * TcpExt PAWSEstab) and only answers with duplicate ACKs; nothing is delivered, and the stall would
     * last until our clock caught up. Mending only the timestamp of that same socket lets the data through.
     */
    @Test
    void timestampBelowWhatTheClientSawDeliversNothing() throws Exception {
        try (Client client = Client.connect()) {
            RepairedConnection original = client.acceptAndExchangeRequest();
            client.download(original, 0, 64 * 1024);
            RepairSpec spec = captureAndDestroy(original, client);

            long pawsBefore = cli.call(() -> tcpExt("PAWSEstab"));
            RepairSpec stale = spec.withTimestamps(spec.tsVal() - 100_000, 0); // 100 s of ms ticks back
            RepairedConnection recreated = srv.call(() -> TcpRepair.recreate(stale));
            recreated.write(StreamPattern.bytes(64 * 1024, 64 * 1024)); // fits in the send buffer

            client.socket.setSoTimeout(3000);
            assertThatThrownBy(() -> client.in.read()).isInstanceOf(SocketTimeoutException.class);
            assertThat(cli.call(() -> tcpExt("PAWSEstab"))).isGreaterThan(pawsBefore);
            assertThat(TcpProbe.info(recreated.fd()).unacked()).isPositive();

            client.socket.setSoTimeout((int) TIMEOUT.toMillis());
            TcpProbe.setTimestamp(recreated.fd(), spec.tsVal());
            client.download(recreated, 128 * 1024, 64 * 1024, 64 * 1024); // new data draws SACKs: the rest follows
            recreated.discard();
        }
    }

    /** The kernel reports back what we set (timestamps and the client's window move on by themselves). */
    static void assertSameConnectionState(RepairSpec seen, RepairSpec set) {
        assertThat(seen.sendSeq()).isEqualTo(set.sendSeq());
        assertThat(seen.recvSeq()).isEqualTo(set.recvSeq());
        assertThat(seen.mss()).isEqualTo(set.mss());
        assertThat(seen.sndWscale()).isEqualTo(set.sndWscale());
        assertThat(seen.rcvWscale()).isEqualTo(set.rcvWscale());
        assertThat(seen.sackPermitted()).isEqualTo(set.sackPermitted());
        assertThat(seen.timestamps()).isEqualTo(set.timestamps());
        assertThat(Integer.compareUnsigned(seen.tsVal(), set.tsVal())).isNotNegative();
    }

    static RepairSpec captureAndDestroy(RepairedConnection connection, Client client) throws Exception {
        TcpProbe.awaitAllAcked(connection.fd(), Duration.ofSeconds(5));
        Thread.sleep(20); // let a last window update from the client land before the socket goes
        RepairSpec spec = TcpProbe.capture(connection.fd(), SERVER_IP, PORT, CLIENT_IP, client.port());
        connection.discard();
        return spec;
    }

    /** A counter from /proc/net/netstat of the calling thread's namespace. */
    static long tcpExt(String name) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/thread-self/net/netstat"));
        for (int i = 0; i + 1 < lines.size(); i += 2) {
            List<String> names = List.of(lines.get(i).split(" "));
            if (names.get(0).equals("TcpExt:")) {
                return Long.parseLong(lines.get(i + 1).split(" ")[names.indexOf(name)]);
            }
        }
        throw new IllegalStateException("no TcpExt " + name);
    }

    /** The unmodified client: a plain Java socket in the client namespace. */
    static final class Client implements AutoCloseable {
        final Socket socket;
        final InputStream in;

        private Client(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
        }

        static Client connect() throws Exception {
            return new Client(cli.call(() -> {
                Socket s = new Socket();
                s.connect(new InetSocketAddress(SERVER_IP, PORT), 5000);
                s.setSoTimeout((int) TIMEOUT.toMillis());
                return s;
            }));
        }

        int port() {
            return socket.getLocalPort();
        }

        RepairedConnection acceptAndExchangeRequest() throws Exception {
            RepairedConnection server = new RepairedConnection(srv.call(() -> TcpProbe.accept(listener)));
            upload(server, "GET /object HTTP/1.1\r\nHost: x\r\n\r\n");
            return server;
        }

        /** The client sends {@code request}; the server side must read exactly it. */
        void upload(RepairedConnection server, String request) throws Exception {
            byte[] sent = request.getBytes(US_ASCII);
            socket.getOutputStream().write(sent);
            ByteBuffer got = ByteBuffer.allocateDirect(sent.length + 3).position(3); // a read at an offset
            while (got.hasRemaining()) {
                assertThat(server.read(got)).as("server read").isPositive();
            }
            byte[] bytes = new byte[sent.length];
            got.position(3).get(bytes);
            assertThat(new String(bytes, US_ASCII)).isEqualTo(request);
        }

        /** The server writes pattern bytes [from, from + length); the client must read exactly them. */
        void download(RepairedConnection server, long from, int length) throws Exception {
            download(server, from, length, 0);
        }

        /** As above, and the client also expects {@code alreadyQueued} bytes before {@code from}. */
        void download(RepairedConnection server, long from, int length, int alreadyQueued) throws Exception {
            Future<Long> read = readers.submit(() -> StreamPattern.verify(in, from - alreadyQueued, length + alreadyQueued));
            for (int off = 0, chunk = 0; off < length; off += 64 * 1024, chunk++) {
                byte[] data = StreamPattern.bytes(from + off, Math.min(64 * 1024, length - off));
                switch (chunk % 3) { // all three ways in
                    case 0 -> server.write(data);
                    case 1 -> server.write(ByteBuffer.allocateDirect(data.length + 5).position(5).put(data).flip().position(5));
                    default -> server.write(ByteBuffer.wrap(data));
                }
            }
            assertThat(read.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(from + length);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
