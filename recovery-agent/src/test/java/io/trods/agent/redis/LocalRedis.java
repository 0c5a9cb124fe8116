package io.trods.agent.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Real redis-server processes (Debian's binary) for the store's tests: on loopback, free ports,
 * each logging to NAME.log in the test's directory, all killed at {@link #close}.
 */
final class LocalRedis implements AutoCloseable {

    private final Path dir;
    private final List<Process> processes = new ArrayList<>();

    LocalRedis(Path dir) {
        this.dir = dir;
    }

    static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0)) {
            return probe.getLocalPort();
        }
    }

    /** A server without persistence on {@code port}, once it accepts connections (its log starts afresh). */
    Process server(String name, int port, String... more) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("redis-server", "--bind", "127.0.0.1", "--port",
                Integer.toString(port), "--save", "", "--appendonly", "no", "--dir", dir.toString(),
                "--dbfilename", name + ".rdb"));
        argv.addAll(List.of(more));
        Process p = start(name, argv.toArray(String[]::new));
        awaitLog(name, "Ready to accept connections");
        return p;
    }

    /** Any process, its output in NAME.log. */
    Process start(String name, String... argv) throws IOException {
        Process p = new ProcessBuilder(argv).redirectOutput(dir.resolve(name + ".log").toFile())
                .redirectErrorStream(true).start();
        processes.add(p);
        return p;
    }

    void awaitLog(String name, String line) throws IOException, InterruptedException {
        Path log = dir.resolve(name + ".log");
        long deadline = System.currentTimeMillis() + 15_000;
        while (!Files.exists(log) || !Files.readString(log).contains(line)) {
            assertThat(System.currentTimeMillis()).as("%s logged '%s'", name, line).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    static String cli(int port, String... command) throws IOException, InterruptedException {
        List<String> argv = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(port)));
        argv.addAll(List.of(command));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        for (Process p : processes) {
            p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
