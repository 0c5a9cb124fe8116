package io.trods.lbplugin.driver;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Runs tools as local child processes. */
public final class LocalCommandRunner implements CommandRunner {

    @Override
    public CommandResult run(List<String> argv, byte[] stdin, Duration timeout) throws IOException {
        Process process = new ProcessBuilder(argv).start();
        try {
            // Both pipes are drained concurrently: a tool blocked on a full stderr pipe never exits.
            CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> drain(process.getInputStream()));
            CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> drain(process.getErrorStream()));
            try (OutputStream in = process.getOutputStream()) {
                if (stdin != null && stdin.length > 0) {
                    in.write(stdin);
                }
            } catch (IOException brokenPipe) {
                // The tool quit before reading everything: its exit status and stderr say why.
            }
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IOException(argv.get(0) + " did not finish within " + timeout.toMillis() + " ms");
            }
            return new CommandResult(process.exitValue(), stdout.get(timeout.toMillis(), TimeUnit.MILLISECONDS),
                    stderr.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + argv.get(0), e);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("could not read the output of " + argv.get(0), e);
        } finally {
            process.destroyForcibly();
        }
    }

    private static String drain(InputStream stream) {
        try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
