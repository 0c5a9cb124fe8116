package io.trods.lbplugin.driver;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * Runs a command-line tool. Drivers go through this rather than spawning processes, so that tests
 * fake the tools and a driver can run them elsewhere (a qemu guest's control channel).
 */
public interface CommandRunner {

    /**
     * @param stdin bytes for the tool's standard input (empty: none)
     * @throws IOException the tool could not be started, or did not finish within {@code timeout}
     */
    CommandResult run(List<String> argv, byte[] stdin, Duration timeout) throws IOException;

    /** What a finished tool returned. */
    record CommandResult(int exitCode, String stdout, String stderr) {

        public CommandResult {
            stdout = stdout == null ? "" : stdout;
            stderr = stderr == null ? "" : stderr;
        }

        public boolean ok() {
            return exitCode == 0;
        }
    }
}
