package io.trods.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Drives the lab through its public interface, {@code ./trods lab ...}, exactly as a user or a
 * benchmark does; the tests never reach around it into namespaces they did not ask for.
 */
final class Lab {

    static final Path HOME = Paths.get(System.getProperty("trods.home", "..")).toAbsolutePath().normalize();
    static final Path STATE = Paths.get("/run/trods-lab");
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private Lab() {
    }

    /** Output and exit status of a finished command. */
    record Result(int exitCode, String stdout, String stderr) {
        Result orFail() {
            assertThat(exitCode).as("exit code; stdout:%n%s%nstderr:%n%s", stdout, stderr).isZero();
            return this;
        }
    }

    static Result trods(String... args) {
        return trodsWith(java.util.Map.of(), args);
    }

    /** With extra environment, e.g. TRODS_LAB_MONITOR_ARGS for {@code lab up}. */
    static Result trodsWith(java.util.Map<String, String> env, String... args) {
        List<String> command = new ArrayList<>();
        command.add(HOME.resolve("trods").toString());
        command.addAll(List.of(args));
        return run(command, 300, env); // lab up waits up to 180 s for its JVMs (lab.sh JVM_START_SECONDS)
    }

    static Result run(List<String> command, int timeoutSeconds) {
        return run(command, timeoutSeconds, java.util.Map.of());
    }

    static Result run(List<String> command, int timeoutSeconds, java.util.Map<String, String> env) {
        try {
            Path out = Files.createTempFile("trods-lab", ".out");
            Path err = Files.createTempFile("trods-lab", ".err");
            try {
                ProcessBuilder builder = new ProcessBuilder(command).directory(HOME.toFile())
                        .redirectOutput(out.toFile()).redirectError(err.toFile());
                builder.environment().putAll(env);
                Process process = builder.start();
                if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor();
                    throw new AssertionError(command + " did not finish within " + timeoutSeconds + " s");
                }
                return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("could not run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + command, e);
        }
    }

    static void up(int servers, String rate, String... more) {
        upWith(java.util.Map.of(), servers, rate, more);
    }

    static void upWith(java.util.Map<String, String> env, int servers, String rate, String... more) {
        List<String> args = new ArrayList<>(List.of("lab", "up", "--servers", Integer.toString(servers), "--rate", rate));
        args.addAll(List.of(more));
        trodsWith(env, args.toArray(String[]::new)).orFail();
    }

    /**
     * A crash-stop, and nothing else: the liveness monitors detect it, the lb-plugin moves the
     * server's connections, the surviving agents prompt its clients.
     */
    static void crash(String server) {
        trods("lab", "crash", server).orFail();
    }

    static void waitFor(java.util.function.BooleanSupplier condition, long millis, String what) {
        waitFor(condition, millis, () -> what);
    }

    /** As above, with a description computed when the wait fails (it may list what is missing). */
    static void waitFor(java.util.function.BooleanSupplier condition, long millis, java.util.function.Supplier<String> what) {
        long deadline = System.currentTimeMillis() + millis;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() >= deadline) {
                throw new AssertionError("timed out after " + millis + " ms waiting for " + what.get());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** Polls until {@code value} gives something not null, and returns it. */
    static <T> T waitForValue(java.util.function.Supplier<T> value, long millis, String what) {
        long deadline = System.currentTimeMillis() + millis;
        T result;
        while ((result = value.get()) == null) {
            assertThat(System.currentTimeMillis()).as("waiting for " + what).isLessThan(deadline);
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        return result;
    }

    /** The value of an agent's counter, summed over the tag values that match. */
    static double agentCounter(String server, String meter, String... tags) {
        StringBuilder url = new StringBuilder("http://127.0.0.1:9101/actuator/metrics/" + meter);
        for (int i = 0; i < tags.length; i++) {
            url.append(i == 0 ? "?" : "&").append("tag=").append(tags[i]);
        }
        Result r = exec(server, "curl", "-s", "-m", "10", "-w", "\n%{http_code}", url.toString());
        String code = r.stdout().substring(r.stdout().lastIndexOf('\n') + 1);
        if (code.equals("404")) {
            return 0; // no such meter (yet), or no value with these tags
        }
        assertThat(code).as("actuator metrics of %s: %s %s", server, r.stdout(), r.stderr()).isEqualTo("200");
        return JSON.readTree(r.stdout().substring(0, r.stdout().lastIndexOf('\n'))).get("measurements").get(0)
                .get("value").asDouble();
    }

    /** The client's port of its one established connection to port 80 (a download in progress). */
    static String clientPort() {
        return exec("client", "ss", "-tnH", "state", "established", "( dport = :80 )").orFail().stdout()
                .lines().findFirst().orElseThrow().trim().split("\\s+")[2].replaceAll(".*:", "");
    }

    /** tcpdump in {@code host}, on eth0, for the first packet matching {@code filter}, its line in {@code out}. */
    static Process captureFirst(Path out, Path err, String host, int seconds, String filter) {
        return start(out, err, host, "timeout", Integer.toString(seconds), "tcpdump", "-n", "-l", "-c", "1", "-i", "eth0",
                filter);
    }

    /** GET of an actuator path inside a host (agents 9101, the lb-plugin 9102, monitors 9103). */
    static JsonNode actuator(String host, int port, String path) {
        return JSON.readTree(exec(host, "curl", "-s", "-m", "5", "http://127.0.0.1:" + port + "/actuator/" + path)
                .orFail().stdout());
    }

    /** The servers the balancer's kernel table sends new connections to ({@code lab pool}). */
    static List<String> pool() {
        return trods("lab", "pool").orFail().stdout().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    static JsonNode agentHealth(String server) {
        return JSON.readTree(exec(server, "curl", "-s", "http://127.0.0.1:9101/actuator/health").orFail().stdout());
    }

    static void down() {
        trods("lab", "down").orFail();
    }

    static JsonNode status() {
        return JSON.readTree(trods("lab", "status", "--json").orFail().stdout());
    }

    static Result exec(String host, String... command) {
        List<String> args = new ArrayList<>(List.of("lab", "exec", host, "--"));
        args.addAll(List.of(command));
        return trods(args.toArray(String[]::new));
    }

    /** Starts a command in a host without waiting; the process is the command itself (lab exec execs). */
    static Process start(Path stdout, Path stderr, String host, String... command) {
        List<String> args = new ArrayList<>(List.of(HOME.resolve("trods").toString(), "lab", "exec", host, "--"));
        args.addAll(List.of(command));
        try {
            return new ProcessBuilder(args).directory(HOME.toFile())
                    .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        } catch (IOException e) {
            throw new AssertionError("could not start " + args, e);
        }
    }

    static String vipUrl(String path) {
        return status().get("url").asString().replaceAll("/$", "") + path;
    }

    static List<String> namespaces() {
        String list = run(List.of("ip", "netns", "list"), 10).orFail().stdout();
        return list.lines().map(line -> line.split(" ")[0]).filter(name -> name.startsWith("trods-")).toList();
    }

    static String sha256(Path file) {
        try (var in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException | NoSuchAlgorithmException e) {
            throw new AssertionError("cannot hash " + file, e);
        }
    }

    static String header(Path headers, String name) {
        try {
            return Files.readAllLines(headers, StandardCharsets.ISO_8859_1).stream()
                    .map(String::strip) // wget -S indents the headers it prints
                    .filter(line -> line.regionMatches(true, 0, name + ":", 0, name.length() + 1))
                    .map(line -> line.substring(name.length() + 1).trim())
                    .findFirst().orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    /** The last 2,000 characters of a file, for failure messages; empty if it cannot be read. */
    static String tail(Path file) {
        try {
            String text = Files.exists(file) ? Files.readString(file) : "";
            return text.substring(Math.max(0, text.length() - 2000));
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * The agents' warnings and errors (the last 30 lines of each server's log that say WARN or
     * ERROR, ZooKeeper's retry chatter left out), for the message of a failed download: a save
     * that failed or a lookup that found no record explains most lost flows.
     */
    static String agentWarnings(int servers) {
        StringBuilder out = new StringBuilder();
        for (int i = 1; i <= servers; i++) {
            Path log = STATE.resolve("server" + i).resolve("agent.log");
            try {
                List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
                List<String> warnings = lines.stream().filter(l -> l.contains(" WARN ") || l.contains(" ERROR "))
                        .filter(l -> !l.contains("org.apache.curator") && !l.contains("o.a.c.")).toList();
                out.append("\nserver").append(i).append(":");
                warnings.subList(Math.max(0, warnings.size() - 30), warnings.size())
                        .forEach(l -> out.append("\n  ").append(l, 0, Math.min(l.length(), 300)));
            } catch (IOException | java.io.UncheckedIOException e) {
                out.append("\nserver").append(i).append(": log unreadable: ").append(e.getMessage());
            }
        }
        return out.toString();
    }

    static long size(Path file) {
        try {
            return Files.exists(file) ? Files.size(file) : 0;
        } catch (IOException e) {
            return 0;
        }
    }
}
