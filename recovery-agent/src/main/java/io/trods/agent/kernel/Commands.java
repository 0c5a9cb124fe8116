package io.trods.agent.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the short administration commands the rule adapters need (iptables, nft), bounded in time. */
final class Commands {

    /** A finished command: its exit status and its output (stdout and stderr together). */
    record Result(int exit, String output) {
    }

    private Commands() {
    }

    /**
     * Runs {@code command} with {@code stdin} (null: none); killed if it takes over 10 s. Input and
     * output go through files, not pipes: a command that hangs without reading its input or closing
     * its output (or writes more than a pipe holds, like {@code nft list} of a table with many
     * lanes) must not hold the caller.
     */
    static Result run(List<String> command, String stdin) throws IOException {
        return run(command, stdin, Duration.ofSeconds(10));
    }

    /** As above, killed after {@code timeout}. */
    static Result run(List<String> command, String stdin, Duration timeout) throws IOException {
        Path input = Files.createTempFile("trods-command", ".in");
        Path output = Files.createTempFile("trods-command", ".out");
        try {
            Files.writeString(input, stdin == null ? "" : stdin, StandardCharsets.UTF_8);
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(input.toFile())
                    .redirectOutput(output.toFile()).start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IOException(command + " did not finish in " + timeout.toMillis() + " ms");
            }
            return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8).strip());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            Files.deleteIfExists(input);
            Files.deleteIfExists(output);
        }
    }
}
