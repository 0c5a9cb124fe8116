package io.trods.lbplugin.ipvs.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trods.lbplugin.driver.CommandRunner.CommandResult;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against a fake guest on a unix socket that answers the way guest-init.sh does, but adversarially. */
class GuestChannelRunnerTest {

    @TempDir
    Path dir;

    private ServerSocketChannel server;
    private Thread guest;
    private final List<String> commands = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();

    /** What the fake guest does with one request line on one connection. */
    interface Behaviour {
        void answer(String id, String command, String stdin, OutputStream out, int requestNo) throws Exception;
    }

    private Path start(Behaviour behaviour) throws IOException {
        Path socket = dir.resolve("ctl.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        guest = new Thread(() -> {
            int requestNo = 0;
            try {
                while (true) {
                    try (SocketChannel c = server.accept()) {
                        connections.incrementAndGet();
                        BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c),
                                StandardCharsets.US_ASCII));
                        OutputStream out = Channels.newOutputStream(c);
                        String line;
                        while ((line = in.readLine()) != null) {
                            String[] f = line.split(" ");
                            String command = new String(Base64.getDecoder().decode(f[3]), StandardCharsets.UTF_8);
                            String stdin = f[4].equals("-") ? "" : new String(Base64.getDecoder().decode(f[4]),
                                    StandardCharsets.UTF_8);
                            commands.add(command);
                            behaviour.answer(f[1], command, stdin, out, ++requestNo);
                        }
                    } catch (IOException e) {
                        // the client went away: accept the next one
                    }
                }
            } catch (Exception e) {
                // server closed: the test is over
            }
        });
        guest.setDaemon(true);
        guest.start();
        return socket;
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    private static String line(String id, int exit, String out, String err) {
        return ChannelProtocol.MAGIC + " " + id + " " + exit + " " + ChannelProtocol.encode(out.getBytes(StandardCharsets.UTF_8))
                + " " + ChannelProtocol.encode(err.getBytes(StandardCharsets.UTF_8)) + "\n";
    }

    @Test
    void answersInPiecesAndStaleAnswersAreSkipped() throws Exception {
        Path socket = start((id, command, stdin, out, n) -> {
            // noise, an answer to somebody else's request, then ours byte by byte
            out.write("init: console noise\n".getBytes(StandardCharsets.US_ASCII));
            out.write(line("j0-99", 0, "stale", "").getBytes(StandardCharsets.US_ASCII));
            for (byte b : line(id, 3, "out of " + command + " with " + stdin, "err").getBytes(StandardCharsets.US_ASCII)) {
                out.write(b);
                out.flush();
            }
        });
        try (GuestChannelRunner runner = new GuestChannelRunner(socket)) {
            CommandResult r = runner.run(List.of("ipvsadm", "-R"), "-C\n".getBytes(StandardCharsets.UTF_8),
                    Duration.ofSeconds(5));
            assertThat(r).isEqualTo(new CommandResult(3, "out of ipvsadm -R with -C\n", "err"));

            CommandResult again = runner.run(List.of("echo", "a b"), new byte[0], Duration.ofSeconds(5));
            assertThat(again.stdout()).isEqualTo("out of echo 'a b' with ");
        }
        assertThat(connections.get()).as("one connection reused").isEqualTo(1);
    }

    @Test
    void noAnswerTimesOutAndTheNextCommandUsesAFreshConnection() throws Exception {
        Path socket = start((id, command, stdin, out, n) -> {
            if (n == 1) {
                return; // the first request is never answered
            }
            out.write(line(id, 0, "fine", "").getBytes(StandardCharsets.US_ASCII));
        });
        try (GuestChannelRunner runner = new GuestChannelRunner(socket)) {
            long started = System.nanoTime();
            assertThatThrownBy(() -> runner.run(List.of("sleep", "60"), new byte[0], Duration.ofMillis(200)))
                    .isInstanceOf(IOException.class).hasMessageContaining("timed out waiting for sleep");
            long tookMs = (System.nanoTime() - started) / 1_000_000;
            assertThat(tookMs).isBetween(200L, 200L + GuestChannelRunner.SLACK.toMillis() + 1_500);

            assertThat(runner.run(List.of("true"), new byte[0], Duration.ofSeconds(5)).stdout()).isEqualTo("fine");
        }
        assertThat(connections.get()).isEqualTo(2);
    }

    @Test
    void guestHangingUpMidAnswerIsAnIoExceptionNotAHang() throws Exception {
        Path socket = start((id, command, stdin, out, n) -> {
            out.write(("TRODS1 " + id + " 0 aGVs").getBytes(StandardCharsets.US_ASCII)); // half a line
            throw new IOException("hang up");
        });
        try (GuestChannelRunner runner = new GuestChannelRunner(socket)) {
            assertThatThrownBy(() -> runner.run(List.of("true"), new byte[0], Duration.ofSeconds(5)))
                    .isInstanceOf(IOException.class).hasMessageContaining("closed");
        }
    }

    @Test
    void missingSocketSaysWhich() {
        try (GuestChannelRunner runner = new GuestChannelRunner(dir.resolve("nope.sock"))) {
            assertThatThrownBy(() -> runner.run(List.of("true"), new byte[0], Duration.ofSeconds(1)))
                    .isInstanceOf(IOException.class).hasMessageContaining("nope.sock");
        }
    }
}
