package io.trods.charts;

import static io.trods.charts.ImageTar.run;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The three images that the components' Jib builds write (./trods images, and the test command: the
 * components' "lab" profile), checked against what the chart expects; and the monitor's image run
 * for real without a container engine: its layers unpacked in order, its entrypoint started as its
 * user under chroot, in new mount, PID and network namespaces (unnamed), with a read-only root, a
 * tmpfs /tmp and the settings where the chart mounts them, as a pod would run it. Needs root.
 */
@Tag("lab")
class ComponentImagesIT {

    private static final Path IMAGES = Path.of(System.getProperty("trods.images.dir", "../target/images"));
    private static final String TAG = System.getProperty("trods.image.tag", "0.1.0");
    private static final Path WORK = Path.of("target/image-it").toAbsolutePath();
    private static final int PORT = 9103;

    private Process pod;

    @AfterEach
    void cleanUp() throws Exception {
        if (pod != null) {
            // The image's process first: killing unshare alone would orphan it (and unshare's
            // --kill-child would not help: the kernel clears it when chroot --userspec changes uid).
            for (ProcessHandle p : pod.toHandle().descendants().toList()) {
                p.destroyForcibly();
                p.onExit().completeOnTimeout(null, 30, TimeUnit.SECONDS).join();
            }
            pod.destroyForcibly();
            pod.waitFor(30, TimeUnit.SECONDS);
        }
        removeWork();
    }

    @Test
    void theThreeImagesAreWhatTheChartRuns() throws Exception {
        // component -> {user, exposed ports, main class}; users as in the chart's securityContext.
        Map<String, List<String>> expected = Map.of(
                "recovery-agent", List.of("0", "", "io.trods.agent.RecoveryAgentApplication"),
                "lb-plugin", List.of("0", "", "io.trods.lbplugin.LbPluginApplication"),
                "liveness-monitor", List.of("65532:65532", PORT + "/tcp", "io.trods.monitor.LivenessMonitorApplication"));
        for (Map.Entry<String, List<String>> e : expected.entrySet()) {
            String component = e.getKey();
            ImageTar image = ImageTar.open(IMAGES.resolve(component + ".tar"), WORK.resolve(component), false);
            JsonNode c = image.runtime();

            assertThat(image.repoTag()).isEqualTo("trods/" + component + ":" + TAG);
            assertThat(strings(c.get("Entrypoint"))).containsExactly("java", "-cp", "@/app/jib-classpath-file", e.getValue().get(2));
            assertThat(c.get("User").asString()).as(component).isEqualTo(e.getValue().get(0));
            assertThat(String.join(",", names(c.get("ExposedPorts")))).as(component).isEqualTo(e.getValue().get(1));
            // Where the chart mounts the ConfigMap (and points SPRING_CONFIG_ADDITIONAL_LOCATION at).
            assertThat(strings(c.get("Env"))).contains("SPRING_CONFIG_ADDITIONAL_LOCATION=optional:file:/etc/trods/" + component + ".yml")
                    .anyMatch(v -> v.startsWith("PATH=/usr/local/sbin:"));
            assertThat(c.get("Labels").get("org.opencontainers.image.title").asString()).isEqualTo(component);
            assertThat(c.get("Labels").get("org.opencontainers.image.version").asString()).isEqualTo(TAG);
            assertThat(c.has("Volumes") && !c.get("Volumes").isEmpty()).as(component + " volumes").isFalse();
            assertThat(image.config().get("architecture").asString()).isEqualTo("amd64");
        }
    }

    /** What the components exec (iptables, nft, conntrack, ipvsadm, sysctl, modprobe) is in their base layer. */
    @Test
    void theBasesHoldWhatTheComponentsExec() throws Exception {
        Map<String, List<String>> tools = Map.of(
                "recovery-agent", List.of("java", "iptables", "iptables-restore", "nft"),
                "lb-plugin", List.of("java", "nft", "conntrack", "ipvsadm", "sysctl", "modprobe"),
                "liveness-monitor", List.of("java"));
        for (Map.Entry<String, List<String>> e : tools.entrySet()) {
            ImageTar image = ImageTar.open(IMAGES.resolve(e.getKey() + ".tar"), WORK.resolve(e.getKey()), true);
            Set<String> commands = new TreeSet<>();
            for (String entry : run(List.of("tar", "-tzf", image.layers().get(0).toString())).split("\n")) {
                if (entry.matches("\\./usr/(s?bin)/[^/]+")) {
                    commands.add(entry.substring(entry.lastIndexOf('/') + 1));
                }
            }
            assertThat(commands).as(e.getKey()).containsAll(e.getValue());
            removeWork();
        }
    }

    @Test
    void theMonitorsImageRunsWithoutAContainerEngine() throws Exception {
        ImageTar image = ImageTar.open(IMAGES.resolve("liveness-monitor.tar"), WORK.resolve("image"), true);
        Path root = Files.createDirectories(WORK.resolve("rootfs"));
        for (Path layer : image.layers()) {
            run(List.of("tar", "--numeric-owner", "-xf", layer.toString(), "-C", root.toString()));
        }
        assertThat(run(List.of("find", root.toString(), "-name", ".wh.*"))).as("whiteouts (not handled here)").isEmpty();
        // What a runtime provides: device nodes, and the settings the chart's ConfigMap mounts.
        for (String[] dev : new String[][] {{"null", "3"}, {"zero", "5"}, {"random", "8"}, {"urandom", "9"}}) {
            run(List.of("mknod", "-m", "666", root.resolve("dev/" + dev[0]).toString(), "c", "1", dev[1]));
        }
        Files.createDirectories(root.resolve("etc/trods"));
        Files.writeString(root.resolve("etc/trods/liveness-monitor.yml"), """
                server:
                  address: 0.0.0.0
                  port: %d
                trods:
                  monitor:
                    id: ${POD_NAME}
                    # Empty: the embedded single-node ZooKeeper, in this network namespace only.
                    zookeeper: {connect: "", embedded-port: 0}
                    services:
                      - {name: web, address: 192.0.2.10, port: 80, servers: [{id: web1, address: 127.0.0.1, port: 1}]}
                """.formatted(PORT));

        JsonNode c = image.runtime();
        List<String> argv = new ArrayList<>(List.of("unshare", "--mount", "--pid", "--net", "--fork",
                "--", "sh", "-c",
                // Private mounts: they vanish with the namespace, whatever happens to this test.
                "r=$1 u=$2; shift 2; mount --bind \"$r\" \"$r\" && mount -o remount,bind,ro \"$r\""
                        + " && mount -t proc proc \"$r/proc\" && mount -t tmpfs -o mode=1777 tmpfs \"$r/tmp\""
                        + " && ip link set lo up && exec chroot --userspec=\"$u\" \"$r\" \"$@\"",
                "sh", root.toString(), c.get("User").asString()));
        argv.addAll(strings(c.get("Entrypoint")));
        argv.addAll(strings(c.get("Cmd")));
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(WORK.resolve("monitor.log").toFile());
        pb.environment().clear();
        for (String kv : strings(c.get("Env"))) {
            pb.environment().put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        pb.environment().put("POD_NAME", "image-it");
        pb.environment().put("JAVA_TOOL_OPTIONS", "-Xms32m -Xmx192m -XX:+UseSerialGC"); // the chart's
        pod = pb.start();

        long pid = javaPid();
        String health = awaitHealth(pid);
        assertThat(health).contains("\"status\":\"UP\"").contains("\"id\":\"image-it\"");
        assertThat(Files.readString(Path.of("/proc/" + pid + "/status"))).containsPattern("Uid:\\t65532\\t");
        assertThat(curl(pid, "/actuator/health/liveness")).startsWith("200 ");
        String prometheus = curl(pid, "/actuator/prometheus");
        assertThat(prometheus).startsWith("200 ").containsPattern("trods_monitor_leader [01]\\.0");

        // Stop it by PID as a kubelet would (SIGTERM), and expect a clean exit.
        ProcessHandle java = ProcessHandle.of(pid).orElseThrow();
        assertThat(java.destroy()).isTrue();
        assertThat(java.onExit().completeOnTimeout(null, 30, TimeUnit.SECONDS).join()).as("exited on SIGTERM").isNotNull();
        assertThat(pod.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(WORK.resolve("monitor.log"))).contains("Started LivenessMonitorApplication");
    }

    /** The image's process: unshare's only child (sh execs chroot, which execs the entrypoint). */
    private long javaPid() throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            var child = pod.toHandle().children().findFirst();
            if (child.isPresent() && child.get().info().command().orElse("").endsWith("/java")) {
                return child.get().pid();
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the entrypoint did not start: " + log());
    }

    private String awaitHealth(long pid) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            assertThat(pod.isAlive()).as("the monitor exited: %s", log()).isTrue();
            String r = curl(pid, "/actuator/health");
            if (r.startsWith("200 ")) {
                return r;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("no healthy actuator within 120 s: " + log());
    }

    /** "STATUS BODY" of a GET inside the process' network namespace, where its actuator listens. */
    private static String curl(long pid, String path) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("nsenter", "--target", Long.toString(pid), "--net", "curl", "-s", "-m", "5",
                "-w", "\n%{http_code}", "http://127.0.0.1:" + PORT + path).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(10, TimeUnit.SECONDS);
        int nl = out.lastIndexOf('\n');
        return out.substring(nl + 1) + " " + out.substring(0, Math.max(nl, 0));
    }

    private static String log() {
        try {
            return Files.readString(WORK.resolve("monitor.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Deletes the work tree, after making sure that nothing is mounted under it. */
    private static void removeWork() throws Exception {
        if (!Files.exists(WORK)) {
            return;
        }
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).as("mounts under " + WORK).doesNotContain(WORK.toString());
        run(List.of("rm", "-rf", "--one-file-system", WORK.toString()));
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        if (array != null && !array.isNull()) {
            array.forEach(n -> out.add(n.asString()));
        }
        return out;
    }

    private static List<String> names(JsonNode object) {
        List<String> out = new ArrayList<>();
        if (object != null && !object.isNull()) {
            object.propertyNames().forEach(out::add);
        }
        return out;
    }
}
