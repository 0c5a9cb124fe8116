package io.trods.charts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The chart charts/trods, linted and rendered with helm-java (Helm embedded, no binary) under several
 * value sets; the assertions are on the rendered objects, parsed with SnakeYAML.
 */
@SuppressWarnings("unchecked")
class TrodsChartTest {

    private static final Path CHART = Path.of("trods");
    private static final String RELEASE = "edge";
    private static final String PREFIX = "edge-trods";

    @TempDir
    Path tmp;

    @Test
    void lintsCleanInStrictMode() {
        LintResult lint = new Helm(CHART).lint().strict().call();

        assertThat(lint.isFailed()).as("lint: %s", lint.getMessages()).isFalse();
        assertThat(lint.getMessages()).noneMatch(m -> m.contains("[ERROR]") || m.contains("[WARNING]"));
    }

    @Test
    void defaults() throws IOException {
        Rendered r = render("");

        Map<String, Object> agent = r.get("DaemonSet", PREFIX + "-recovery-agent");
        Map<String, Object> agentPod = path(agent, "spec.template.spec");
        assertThat(agentPod.get("hostNetwork")).isEqualTo(true);
        assertThat(agentPod.get("dnsPolicy")).isEqualTo("ClusterFirstWithHostNet");
        assertThat(agentPod.get("nodeSelector")).isEqualTo(Map.of("trods.io/role", "web-server"));
        Map<String, Object> agentC = container(agent);
        assertThat((List<Object>) path(agentC, "securityContext.capabilities.add")).containsExactlyInAnyOrder("NET_ADMIN", "NET_RAW");
        assertThat((List<Object>) path(agentC, "securityContext.capabilities.drop")).containsExactly("ALL");
        assertThat((Object) path(agentC, "securityContext.privileged")).isEqualTo(false);
        assertThat((Object) path(agentC, "securityContext.allowPrivilegeEscalation")).isEqualTo(false);
        assertProbes(agentC, "127.0.0.1", 9101);
        assertThat((Object) path(agentC, "resources.requests.memory")).isEqualTo("512Mi");
        assertThat((Object) path(agentC, "resources.limits.memory")).isEqualTo("768Mi");
        assertThat(agentC.get("image")).isEqualTo("trods/recovery-agent:0.1.0");

        Map<String, Object> plugin = r.get("DaemonSet", PREFIX + "-lb-plugin");
        assertThat((Object) path(plugin, "spec.template.spec.hostNetwork")).isEqualTo(true);
        assertThat((Object) path(plugin, "spec.template.spec.nodeSelector")).isEqualTo(Map.of("trods.io/role", "director"));
        Map<String, Object> pluginC = container(plugin);
        assertThat((List<Object>) path(pluginC, "securityContext.capabilities.add")).containsExactly("NET_ADMIN");
        assertProbes(pluginC, "127.0.0.1", 9102);

        Map<String, Object> monitor = r.get("Deployment", PREFIX + "-liveness-monitor");
        assertThat((Object) path(monitor, "spec.replicas")).isEqualTo(2);
        assertThat((Object) path(monitor, "spec.template.spec.hostNetwork")).isNull();
        assertThat((Object) path(monitor, "spec.template.spec.securityContext.runAsNonRoot")).isEqualTo(true);
        Map<String, Object> monitorC = container(monitor);
        assertThat((Object) path(monitorC, "securityContext.capabilities.add")).isNull();
        // Pod network: the kubelet probes the pod's IP, so the monitor's actuator must not bind 127.0.0.1.
        assertProbes(monitorC, null, "actuator");
        assertThat(config(r, "liveness-monitor")).containsEntry("server.address", "0.0.0.0");
        assertThat(config(r, "recovery-agent")).containsEntry("server.address", "127.0.0.1");

        // The chart's Secret, empty by default (every write refused), referenced by every component.
        Map<String, Object> secret = r.get("Secret", PREFIX + "-admin");
        assertThat((String) path(secret, "data.password")).isEmpty();
        assertThat((String) path(render("admin: {password: s3cret}").get("Secret", PREFIX + "-admin"), "data.password"))
                .isEqualTo(java.util.Base64.getEncoder().encodeToString("s3cret".getBytes()));
        for (Map<String, Object> workload : List.of(agent, plugin, monitor)) {
            assertThat(secretRef(container(workload), "TRODS_ADMIN_PASSWORD")).isEqualTo(PREFIX + "-admin/password");
            assertThat((Object) path(workload, "spec.template.spec.automountServiceAccountToken")).isEqualTo(false);
            assertThat((Map<String, Object>) path(workload, "spec.template.metadata.annotations")).containsKey("checksum/config");
        }
        // Scraped by default where Prometheus can reach the actuator: the monitors' pod IPs, not the
        // agents' and plugins' 127.0.0.1.
        assertThat((Map<String, Object>) path(monitor, "spec.template.metadata.annotations"))
                .containsEntry("prometheus.io/scrape", "true").containsEntry("prometheus.io/path", "/actuator/prometheus");
        assertThat((Map<String, Object>) path(agent, "spec.template.metadata.annotations")).doesNotContainKey("prometheus.io/scrape");
        assertThat((Map<String, Object>) path(plugin, "spec.template.metadata.annotations")).doesNotContainKey("prometheus.io/scrape");
        // Nothing uses the Kubernetes API: no RBAC, no service account.
        assertThat(r.kinds()).containsExactlyInAnyOrder("Secret", "ConfigMap", "ConfigMap", "ConfigMap", "DaemonSet",
                "DaemonSet", "Deployment");
        // Liveness must not depend on Redis or ZooKeeper (TRODS fails open / static without them).
        assertThat(config(r, "recovery-agent")).containsEntry("management.endpoint.health.probes.enabled", true);
    }

    @Test
    void customRedisZooKeeperAndVirtualService() throws IOException {
        Rendered r = render("""
                redis: {host: redis.store.svc, port: 6380, existingSecret: redis-auth, existingSecretKey: pw}
                zookeeper: {connect: "zk-0.zk:2181,zk-1.zk:2181", root: /trods-prod}
                virtualServices:
                  - {name: web, address: 192.0.2.10, port: 8080, scheduler: rr}
                plugin: {backendInterface: eth1}
                """);

        Map<String, Object> agent = config(r, "recovery-agent");
        assertThat(agent).containsEntry("spring.data.redis.host", "redis.store.svc")
                .containsEntry("spring.data.redis.port", 6380)
                .containsEntry("spring.data.redis.password", "${TRODS_REDIS_PASSWORD}")
                .containsEntry("trods.agent.virtual-address", "192.0.2.10")
                .containsEntry("trods.agent.virtual-port", 8080)
                .containsEntry("trods.agent.control.zookeeper-connect", "zk-0.zk:2181,zk-1.zk:2181")
                .containsEntry("trods.agent.control.root", "/trods-prod");
        assertThat(secretRef(container(r.get("DaemonSet", PREFIX + "-recovery-agent")), "TRODS_REDIS_PASSWORD"))
                .isEqualTo("redis-auth/pw");

        Map<String, Object> monitor = config(r, "liveness-monitor");
        assertThat(monitor).containsEntry("trods.monitor.zookeeper.connect", "zk-0.zk:2181,zk-1.zk:2181")
                .containsEntry("trods.monitor.services[0].address", "192.0.2.10")
                .containsEntry("trods.monitor.services[0].port", 8080)
                .containsEntry("trods.monitor.services[0].scheduler", "rr")
                .containsEntry("trods.monitor.services[0].forwarding", "nat");
        assertThat(config(r, "lb-plugin")).containsEntry("trods.balancer.zookeeper.connect", "zk-0.zk:2181,zk-1.zk:2181")
                .containsEntry("trods.balancer.zookeeper.root", "/trods-prod")
                .containsEntry("trods.balancer.nftables.backend-interface", "eth1")
                .containsEntry("trods.balancer.manage-sysctls", false);
    }

    @Test
    void existingSecretReplacesTheGeneratedOne() throws IOException {
        Rendered r = render("admin: {existingSecret: ops-trods, existingSecretKey: admin-password}");

        assertThat(r.kinds()).doesNotContain("Secret");
        for (String[] w : new String[][] {{"DaemonSet", "recovery-agent"}, {"DaemonSet", "lb-plugin"},
                {"Deployment", "liveness-monitor"}}) {
            assertThat(secretRef(container(r.get(w[0], PREFIX + "-" + w[1])), "TRODS_ADMIN_PASSWORD"))
                    .as(w[1]).isEqualTo("ops-trods/admin-password");
        }
    }

    @Test
    void replicasAndPrometheusScraping() throws IOException {
        Rendered r = render("""
                monitor: {replicas: 3}
                agent: {actuatorAddress: hostIP, nodeSelector: {node-role.example/cdn: "true", trods.io/role: null}}
                plugin: {actuatorAddress: 0.0.0.0}
                """);

        Map<String, Object> monitor = r.get("Deployment", PREFIX + "-liveness-monitor");
        Map<String, Object> agent = r.get("DaemonSet", PREFIX + "-recovery-agent");
        Map<String, Object> plugin = r.get("DaemonSet", PREFIX + "-lb-plugin");
        assertThat((Object) path(monitor, "spec.replicas")).isEqualTo(3);
        assertThat((Object) path(agent, "spec.template.spec.nodeSelector")).isEqualTo(Map.of("node-role.example/cdn", "true"));
        for (Object[] w : new Object[][] {{monitor, "9103"}, {agent, "9101"}, {plugin, "9102"}}) {
            assertThat((Map<String, Object>) path((Map<String, Object>) w[0], "spec.template.metadata.annotations"))
                    .containsEntry("prometheus.io/scrape", "true").containsEntry("prometheus.io/port", w[1])
                    .containsEntry("prometheus.io/path", "/actuator/prometheus");
        }
        // hostIP: the agent's actuator on the node's own address, which the kubelet probes as the
        // (host-network) pod's IP; 0.0.0.0 includes loopback, where the plugin's probes stay.
        assertThat(config(r, "recovery-agent")).containsEntry("server.address", "${HOST_IP}");
        assertProbes(container(agent), null, 9101);
        assertThat(config(r, "lb-plugin")).containsEntry("server.address", "0.0.0.0");
        assertProbes(container(plugin), "127.0.0.1", 9102);

        // Off: no annotations at all.
        Rendered off = render("metrics: {prometheus: {enabled: false}}\nagent: {actuatorAddress: hostIP}");
        for (String[] w : new String[][] {{"DaemonSet", "recovery-agent"}, {"DaemonSet", "lb-plugin"},
                {"Deployment", "liveness-monitor"}}) {
            assertThat((Map<String, Object>) path(off.get(w[0], PREFIX + "-" + w[1]), "spec.template.metadata.annotations"))
                    .as(w[1]).doesNotContainKey("prometheus.io/scrape");
        }
    }

    /** The path the annotations name exists: each jar's own exposure has prometheus, and the chart keeps it. */
    @Test
    void everyComponentExposesThePrometheusEndpoint() throws IOException {
        Rendered r = render("");
        for (String component : List.of("recovery-agent", "lb-plugin", "liveness-monitor")) {
            Map<String, Object> jar = flatten("", new Yaml().load(
                    Files.readString(Path.of("../" + component + "/src/main/resources/application.yml"))));
            assertThat(List.of(((String) jar.get("management.endpoints.web.exposure.include")).split(",")))
                    .as(component).contains("prometheus");
            assertThat(config(r, component)).as(component).doesNotContainKey("management.endpoints.web.exposure.include");
        }
    }

    /**
     * The chart's default images are the ones `./trods images` builds: trods/COMPONENT tagged with
     * the root pom's trods.image.tag, which is the chart's appVersion; the monitor's image user is the
     * chart's runAsUser (ComponentImagesIT checks the built images' side).
     */
    @Test
    void defaultImagesAreTheOnesTheBuildMakes() throws IOException {
        String tag = System.getProperty("trods.image.tag");
        assertThat(tag).as("surefire passes the root pom's trods.image.tag").isNotBlank();
        Map<String, Object> chart = new Yaml().load(Files.readString(CHART.resolve("Chart.yaml")));
        assertThat(chart.get("appVersion")).isEqualTo(tag);

        Rendered r = render("");
        assertThat(container(r.get("DaemonSet", PREFIX + "-recovery-agent")).get("image")).isEqualTo("trods/recovery-agent:" + tag);
        assertThat(container(r.get("DaemonSet", PREFIX + "-lb-plugin")).get("image")).isEqualTo("trods/lb-plugin:" + tag);
        assertThat(container(r.get("Deployment", PREFIX + "-liveness-monitor")).get("image")).isEqualTo("trods/liveness-monitor:" + tag);
        assertThat(container(render("image: {registry: registry.example.com/ops/}").get("DaemonSet", PREFIX + "-lb-plugin"))
                .get("image")).isEqualTo("registry.example.com/ops/trods/lb-plugin:" + tag);
    }

    @Test
    void componentsCanBeLeftOutAndAnEmptyZooKeeperIsRefused() throws IOException {
        Rendered r = render("plugin: {enabled: false}\nagent: {enabled: false}");
        assertThat(r.kinds()).containsExactlyInAnyOrder("Secret", "ConfigMap", "Deployment");

        Path values = tmp.resolve("nozk.yaml");
        Files.writeString(values, "zookeeper: {connect: \"\"}");
        assertThatThrownBy(() -> new Helm(CHART).template().withName(RELEASE).withValuesFile(values).call())
                .hasMessageContaining("zookeeper.connect is required");
    }

    /**
     * Every trods.* key the chart writes is one the example configuration has: those are bound strictly
     * by the components' own properties classes (ExampleConfigTest in each module), so a key the chart
     * misspells or that the code dropped fails here. And every ${VAR} the chart's settings use is set in
     * that component's container.
     */
    @Test
    void renderedSettingsAreKnownToTheComponentsAndTheirVariablesAreSet() throws IOException {
        Rendered r = render("""
                virtualServices:
                  - name: web
                    address: 192.0.2.10
                    port: 80
                    servers: [{id: legacy1, address: 10.0.1.21, port: 80, weight: 2}]
                redis: {existingSecret: redis-auth}
                """);
        Map<String, String> workloads = Map.of("recovery-agent", "DaemonSet", "lb-plugin", "DaemonSet",
                "liveness-monitor", "Deployment");

        for (Map.Entry<String, String> w : workloads.entrySet()) {
            String component = w.getKey();
            Set<String> known = keys(flatten("", new Yaml().load(Files.readString(Path.of("../config/" + component + ".yml")))));
            Set<String> rendered = keys(config(r, component));
            assertThat(rendered).as(component).isNotEmpty();
            assertThat(rendered.stream().filter(k -> k.startsWith("trods.")).collect(Collectors.toSet()))
                    .as(component + " keys absent from config/" + component + ".yml").isSubsetOf(known);

            Set<String> env = ((List<Map<String, Object>>) container(r.get(w.getValue(), PREFIX + "-" + component)).get("env"))
                    .stream().map(e -> (String) e.get("name")).collect(Collectors.toSet());
            Matcher m = Pattern.compile("\\$\\{([A-Z_]+)}").matcher(configText(r, component));
            while (m.find()) {
                assertThat(env).as(component + " sets " + m.group(1)).contains(m.group(1));
            }
        }
    }

    private static void assertProbes(Map<String, Object> container, String host, Object port) {
        assertThat((Object) path(container, "livenessProbe.httpGet.path")).isEqualTo("/actuator/health/liveness");
        assertThat((Object) path(container, "readinessProbe.httpGet.path")).isEqualTo("/actuator/health/readiness");
        assertThat((Object) path(container, "livenessProbe.httpGet.host")).isEqualTo(host);
        assertThat((Object) path(container, "readinessProbe.httpGet.host")).isEqualTo(host);
        assertThat((Object) path(container, "livenessProbe.httpGet.port")).isEqualTo(port);
        assertThat((Object) path(container, "readinessProbe.httpGet.port")).isEqualTo(port);
    }

    private Rendered render(String values) throws IOException {
        Path file = tmp.resolve("values-" + System.nanoTime() + ".yaml");
        Files.writeString(file, values);
        String out = new Helm(CHART).template().withName(RELEASE).withNamespace("trods").withValuesFile(file).call();
        List<Map<String, Object>> docs = new ArrayList<>();
        for (Object doc : new Yaml().loadAll(out)) {
            if (doc != null) {
                docs.add((Map<String, Object>) doc);
            }
        }
        return new Rendered(docs);
    }

    private record Rendered(List<Map<String, Object>> docs) {

        Map<String, Object> get(String kind, String name) {
            return docs.stream().filter(d -> kind.equals(d.get("kind")) && name.equals(path(d, "metadata.name")))
                    .findFirst().orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in " + kinds()));
        }

        List<String> kinds() {
            return docs.stream().map(d -> (String) d.get("kind")).toList();
        }
    }

    private static String configText(Rendered r, String component) {
        Map<String, Object> data = path(r.get("ConfigMap", PREFIX + "-" + component), "data");
        return (String) data.get(component + ".yml");
    }

    /** The component's settings from its ConfigMap, flattened to Boot's names (a.b[0].c). */
    private static Map<String, Object> config(Rendered r, String component) {
        return flatten("", new Yaml().load(configText(r, component)));
    }

    private static Map<String, Object> flatten(String prefix, Object node) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (node instanceof Map<?, ?> map) {
            map.forEach((k, v) -> out.putAll(flatten(prefix.isEmpty() ? k.toString() : prefix + "." + k, v)));
        } else if (node instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                out.putAll(flatten(prefix + "[" + i + "]", list.get(i)));
            }
        } else {
            out.put(prefix, node);
        }
        return out;
    }

    /** Key names with list indexes erased, so that services[1] matches the example's services[0]. */
    private static Set<String> keys(Map<String, Object> flat) {
        return flat.keySet().stream().map(k -> k.replaceAll("\\[\\d+]", "[]")).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Map<String, Object> container(Map<String, Object> workload) {
        List<Map<String, Object>> containers = path(workload, "spec.template.spec.containers");
        assertThat(containers).hasSize(1);
        return containers.get(0);
    }

    /** "secret/key" of an environment variable's secretKeyRef. */
    private static String secretRef(Map<String, Object> container, String variable) {
        for (Map<String, Object> e : (List<Map<String, Object>>) container.get("env")) {
            if (variable.equals(e.get("name"))) {
                return path(e, "valueFrom.secretKeyRef.name") + "/" + path(e, "valueFrom.secretKeyRef.key");
            }
        }
        throw new AssertionError(variable + " is not set");
    }

    /** Walks dotted keys (none of the keys walked has a dot of its own). */
    private static <T> T path(Map<String, Object> root, String dotted) {
        Object node = root;
        for (String key : dotted.split("\\.")) {
            if (!(node instanceof Map<?, ?> map)) {
                return null;
            }
            node = map.get(key);
        }
        return (T) node;
    }
}
