package io.trods.lbplugin.ipvs;

import io.trods.lbplugin.driver.CommandRunner;
import io.trods.lbplugin.driver.CommandRunner.CommandResult;
import io.trods.lbplugin.driver.Sysctl;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Kernel settings through the {@code sysctl} tool rather than {@code /proc/sys}, so that they are
 * those of the kernel the runner reaches (a qemu guest's, in the lab). Works with procps and busybox.
 */
public final class Sysctls implements Sysctl {

    private final CommandRunner runner;
    private final Duration timeout;

    public Sysctls(CommandRunner runner, Duration timeout) {
        this.runner = runner;
        this.timeout = timeout;
    }

    @Override
    public Optional<String> read(String name) throws IOException {
        CommandResult r = runner.run(List.of("sysctl", "-n", checked(name)), new byte[0], timeout);
        if (r.ok()) {
            return Optional.of(r.stdout().strip());
        }
        // procps: "cannot stat /proc/sys/...: No such file or directory"; busybox: "... is an unknown key".
        if (r.stderr().contains("No such file") || r.stderr().contains("unknown key")) {
            return Optional.empty();
        }
        throw new IOException("sysctl -n " + name + " exited " + r.exitCode() + ": " + r.stderr().strip());
    }

    @Override
    public void write(String name, String value) throws IOException {
        if (!value.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("unexpected sysctl value " + value);
        }
        CommandResult r = runner.run(List.of("sysctl", "-w", checked(name) + "=" + value), new byte[0], timeout);
        if (!r.ok()) {
            throw new IOException("sysctl -w " + name + "=" + value + " exited " + r.exitCode() + ": " + r.stderr().strip());
        }
    }

    private static String checked(String name) {
        if (!name.matches("[a-z0-9_]+(\\.[a-z0-9_]+)+")) {
            throw new IllegalArgumentException("not a sysctl name: " + name);
        }
        return name;
    }
}
