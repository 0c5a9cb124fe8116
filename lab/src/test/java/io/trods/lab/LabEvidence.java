package io.trods.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * What the lab says about downloads that went wrong, gathered before {@code lab down} removes it:
 * a failing test puts it in its message (often the only output a CI run keeps) and copies the
 * hosts' logs under {@code target/lab-evidence}.
 */
final class LabEvidence {

    private static final Path KEPT = Path.of("target", "lab-evidence");

    private LabEvidence() {
    }

    /** Copies every host's logs to target/lab-evidence/{name}; returns where, or why not. */
    static String keepLogs(String name) {
        Path into = KEPT.resolve(name + "-" + System.currentTimeMillis()).toAbsolutePath();
        try (Stream<Path> files = Files.walk(Lab.STATE)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".log") && Files.isRegularFile(f)).toList()) {
                Path copy = into.resolve(Lab.STATE.relativize(file).toString());
                Files.createDirectories(copy.getParent());
                Files.copy(file, copy);
            }
            return into.toString();
        } catch (IOException | UncheckedIOException e) {
            return "logs not kept: " + e;
        }
    }

    /**
     * The log lines of every host that name the client's port (agents log flows as
     * {@code 198.18.0.2:port->:80}), in each host's order, at most {@code perHost} of the last.
     */
    static String flowStory(String clientPort, int perHost) {
        String needle = ":" + clientPort + "->";
        StringBuilder out = new StringBuilder();
        try (Stream<Path> hosts = Files.list(Lab.STATE)) {
            for (Path host : hosts.filter(Files::isDirectory).sorted().toList()) {
                for (String log : List.of("agent.log", "monitor.log", "lb-plugin.log")) {
                    List<String> lines = lines(host.resolve(log)).stream().filter(l -> l.contains(needle)).toList();
                    lines.subList(Math.max(0, lines.size() - perHost), lines.size()).forEach(l -> out.append("\n    ")
                            .append(host.getFileName()).append('/').append(log).append(": ")
                            .append(l, 0, Math.min(l.length(), 260)));
                }
            }
        } catch (IOException | UncheckedIOException e) {
            out.append("\n    logs unreadable: ").append(e.getMessage());
        }
        return out.length() == 0 ? " no log line names it" : out.toString();
    }

    /**
     * Each agent's counts of unknown packets by outcome and of unprotected responses by reason
     * (from its Prometheus endpoint); a crashed agent's are gone, its log is kept.
     */
    static String agentCounters(int servers) {
        StringBuilder out = new StringBuilder();
        for (int i = 1; i <= servers; i++) {
            String server = "server" + i;
            Lab.Result r = Lab.exec(server, "curl", "-s", "-m", "5", "http://127.0.0.1:9101/actuator/prometheus");
            out.append("\n  ").append(server).append(':');
            List<String> meters = r.stdout().lines()
                    .filter(l -> l.startsWith("trods_agent_unknown_packets_total") || l.startsWith("trods_agent_responses_total"))
                    .map(l -> l.replace("trods_agent_", "")).toList();
            if (meters.isEmpty()) {
                out.append(" no meters (").append(r.stderr().isBlank() ? "agent down?" : r.stderr().strip()).append(')');
            }
            meters.forEach(m -> out.append(' ').append(m));
        }
        return out.toString();
    }

    /**
     * The monitors' health transitions, decisions and published tables, and what the lb-plugin
     * logged after its start.
     */
    static String controlPlaneEvents() {
        StringBuilder out = new StringBuilder();
        try (Stream<Path> hosts = Files.list(Lab.STATE)) {
            for (Path host : hosts.filter(Files::isDirectory).sorted().toList()) {
                List<String> events = Stream.concat(lines(host.resolve("monitor.log")).stream()
                                .filter(l -> l.contains(" decision ") || l.contains(" published ") || l.contains("UP -> ")
                                        || l.contains("DOWN -> ")),
                        lines(host.resolve("lb-plugin.log")).stream().filter(l -> l.contains("io.trods") || l.contains("i.t."))
                                .filter(l -> !l.contains("[main]")))
                        .toList();
                events.subList(Math.max(0, events.size() - 16), events.size()).forEach(l -> out.append("\n  ")
                        .append(host.getFileName()).append(": ").append(l, 0, Math.min(l.length(), 260)));
            }
        } catch (IOException | UncheckedIOException e) {
            out.append("\n  logs unreadable: ").append(e.getMessage());
        }
        return out.length() == 0 ? " nothing" : out.toString();
    }

    private static List<String> lines(Path log) {
        try {
            return Files.exists(log) ? Files.readAllLines(log) : List.of();
        } catch (IOException | UncheckedIOException e) {
            return List.of("unreadable: " + e.getMessage());
        }
    }
}
