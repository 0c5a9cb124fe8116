package io.trods.agent.pcap;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** tcpdump as a second, independent reader of pcap files, where it is installed. */
final class Tcpdump {

    private Tcpdump() {
    }

    static boolean available() {
        return Files.isExecutable(Path.of("/usr/bin/tcpdump")) || Files.isExecutable(Path.of("/usr/sbin/tcpdump"));
    }

    /** How many packets {@code tcpdump -r} prints for the file; fails the test if tcpdump complains. */
    static long count(Path file) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("tcpdump", "-nn", "-r", file.toString()).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError("tcpdump -r " + file + " failed: " + err);
        }
        return out.lines().count();
    }
}
