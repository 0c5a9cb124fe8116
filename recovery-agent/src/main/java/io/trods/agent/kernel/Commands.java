package io.trods.agent.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the short administration commands the rule adapters need (iptables, nft), bounded in time. */
final class Commands {

    /** A finished command: its exit status and its output (stdout and stderr together). */
    record Result(int exit, String output) {
    }

    private Commands() {
    }

    /** Runs {@code command} with {@code stdin} (null: none); killed if it takes over 10 s. */
    static Result run(List<String> command, String stdin) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        if (stdin != null) {
            process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        process.getOutputStream().close();
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(command + " did not finish");
            }
            return new Result(process.exitValue(), output.strip());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
