package io.trods.monitor.config;

import io.trods.control.ZkLayout;
import io.trods.monitor.probe.ProbeSpec;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The monitor's settings ({@code trods.monitor.*}). Every value has a default, so a single-director
 * setup needs only its services; invalid values stop the start with the property's name.
 *
 * @param id this instance's name in the leader election and in {@code publishedBy} (default: hostname)
 * @param panicThreshold below this fraction of members alive, nothing the last decision had as a
 *     backend is removed (the monitor's own link is more likely cut than every server dead)
 * @param publishInterval periodic re-evaluation, on top of the one on every health transition
 * @param failedRetention how long a server that is neither configured nor registered stays listed
 *     as failed before it is dropped from the document
 */
@ConfigurationProperties("trods.monitor")
public record MonitorProperties(String id, Zookeeper zookeeper, List<Service> services, Probe probe,
        Double panicThreshold, Flap flap, Duration publishInterval, Duration failedRetention) {

    public MonitorProperties {
        id = id == null || id.isBlank() ? hostname() : id.trim();
        check(id.matches("[A-Za-z0-9_.-]{1,64}"), "trods.monitor.id", "must be 1-64 of [A-Za-z0-9_.-], got '" + id + "'");
        zookeeper = zookeeper == null ? new Zookeeper(null, null, null, null, null) : zookeeper;
        services = List.copyOf(services == null ? List.of() : services);
        probe = probe == null ? new Probe(null, null, null, null, null, null, null, null, null) : probe;
        panicThreshold = panicThreshold == null ? 0.5 : panicThreshold;
        check(panicThreshold >= 0 && panicThreshold <= 1, "trods.monitor.panic-threshold", "must be 0..1, got " + panicThreshold);
        flap = flap == null ? new Flap(null, null, null) : flap;
        publishInterval = positive(publishInterval, Duration.ofSeconds(1), "trods.monitor.publish-interval");
        failedRetention = positive(failedRetention, Duration.ofSeconds(60), "trods.monitor.failed-retention");
        Set<String> names = new HashSet<>();
        Set<String> endpoints = new HashSet<>();
        for (Service s : services) {
            check(names.add(s.name()) && endpoints.add(s.endpoint()), "trods.monitor.services",
                    "service " + s.name() + " (" + s.endpoint() + ") is configured twice");
        }
    }

    public ZkLayout layout() {
        return new ZkLayout(zookeeper.root());
    }

    /**
     * @param connect the ensemble ({@code host:port,...}); empty starts an embedded single-node server
     * @param embeddedPort the embedded server's client port (0: any free port)
     * @param embeddedDir the embedded server's data directory (default: a temporary directory)
     */
    public record Zookeeper(String connect, Duration sessionTimeout, String root, Integer embeddedPort,
            String embeddedDir) {

        public Zookeeper {
            connect = connect == null ? "" : connect.trim();
            sessionTimeout = positive(sessionTimeout, Duration.ofSeconds(2), "trods.monitor.zookeeper.session-timeout");
            root = root == null || root.isBlank() ? ZkLayout.DEFAULT_ROOT : root.trim();
            try {
                new ZkLayout(root);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("trods.monitor.zookeeper.root " + e.getMessage());
            }
            embeddedPort = embeddedPort == null ? 2181 : embeddedPort;
            check(embeddedPort >= 0 && embeddedPort <= 65535, "trods.monitor.zookeeper.embedded-port", "must be 0..65535");
            embeddedDir = embeddedDir == null ? "" : embeddedDir.trim();
        }

        public boolean embedded() {
            return connect.isEmpty();
        }
    }

    /** A virtual service: the VIP, and the servers configured for it besides the registered agents. */
    public record Service(String name, String address, Integer port, String scheduler, String forwarding,
            List<StaticServer> servers, ProbeOverride probe) {

        public Service {
            String where = "trods.monitor.services[" + name + "]";
            check(name != null && name.matches("[A-Za-z0-9_.-]{1,64}"), where + ".name", "must be 1-64 of [A-Za-z0-9_.-]");
            check(address != null && address.matches("\\d{1,3}(\\.\\d{1,3}){3}"), where + ".address", "must be an IPv4 address, got '" + address + "'");
            check(port != null && port >= 1 && port <= 65535, where + ".port", "must be 1..65535, got " + port);
            scheduler = scheduler == null || scheduler.isBlank() ? "mh" : scheduler.trim();
            check(scheduler.matches("[a-z]{1,8}"), where + ".scheduler", "must be an IPVS scheduler name, got '" + scheduler + "'");
            forwarding = forwarding == null || forwarding.isBlank() ? "nat" : forwarding.trim();
            check(forwarding.equals("nat") || forwarding.equals("dr"), where + ".forwarding", "must be nat or dr, got '" + forwarding + "'");
            servers = List.copyOf(servers == null ? List.of() : servers);
        }

        /** The key agents announce the service by ({@code VIP:port}). */
        public String endpoint() {
            return address + ":" + port;
        }
    }

    public record StaticServer(String id, String address, Integer port, Integer weight) {

        public StaticServer {
            check(id != null && id.matches("[A-Za-z0-9_.-]{1,64}"), "trods.monitor.services[].servers[].id", "must be 1-64 of [A-Za-z0-9_.-], got '" + id + "'");
            check(address != null && address.matches("\\d{1,3}(\\.\\d{1,3}){3}"), "servers[" + id + "].address", "must be an IPv4 address, got '" + address + "'");
            check(port != null && port >= 1 && port <= 65535, "servers[" + id + "].port", "must be 1..65535, got " + port);
            weight = weight == null ? 1 : weight;
            check(weight >= 1 && weight <= 65535, "servers[" + id + "].weight", "must be 1..65535, got " + weight);
        }
    }

    /**
     * How servers are probed: {@code http} (GET {@code path}, expecting {@code expectStatus}),
     * {@code tcp} (connect), or {@code agent} (GET the recovery agent's actuator health, default
     * {@code /actuator/health} on port 9101: the agent's actuator must then listen beyond localhost).
     *
     * @param port where to probe (default: the server's own port; for {@code agent}: 9101)
     * @param timeout the bound on the TCP handshake: a crash-stopped server fails it (default 150 ms)
     * @param answerTimeout the bound on an HTTP answer once the request is out (default 500 ms): a
     *     server whose kernel completed the handshake is alive, a slow answer is load
     * @param fall consecutive failures that take an UP server DOWN
     * @param rise consecutive successes that bring a server UP
     */
    public record Probe(String type, String path, Integer expectStatus, Duration interval, Duration timeout,
            Duration answerTimeout, Integer fall, Integer rise, Integer port) {

        public static final int AGENT_PORT = 9101;

        public Probe {
            type = type == null || type.isBlank() ? "http" : type.trim().toLowerCase();
            check(type.equals("http") || type.equals("tcp") || type.equals("agent"), "trods.monitor.probe.type",
                    "must be http, tcp or agent, got '" + type + "'");
            path = path == null || path.isBlank() ? (type.equals("agent") ? "/actuator/health" : "/healthz") : path.trim();
            check(path.startsWith("/") && path.chars().allMatch(c -> c > 32 && c < 127), "trods.monitor.probe.path",
                    "must be an absolute path without spaces, got '" + path + "'");
            expectStatus = expectStatus == null ? 200 : expectStatus;
            check(expectStatus >= 100 && expectStatus <= 599, "trods.monitor.probe.expect-status", "must be 100..599");
            interval = positive(interval, Duration.ofMillis(50), "trods.monitor.probe.interval");
            timeout = positive(timeout, Duration.ofMillis(150), "trods.monitor.probe.timeout");
            answerTimeout = positive(answerTimeout, Duration.ofMillis(500), "trods.monitor.probe.answer-timeout");
            fall = fall == null ? 2 : fall;
            rise = rise == null ? 3 : rise;
            check(fall >= 1, "trods.monitor.probe.fall", "must be >= 1");
            check(rise >= 1, "trods.monitor.probe.rise", "must be >= 1");
            port = port == null ? (type.equals("agent") ? Integer.valueOf(AGENT_PORT) : null) : port;
            check(port == null || port >= 1 && port <= 65535, "trods.monitor.probe.port", "must be 1..65535, got " + port);
        }

        /**
         * These settings with a service's overrides on top. A service that changes the probe type
         * does not inherit the path, status or port of another type.
         */
        public Probe with(ProbeOverride o) {
            if (o == null) {
                return this;
            }
            boolean sameType = o.type() == null || o.type().trim().equalsIgnoreCase(type);
            return new Probe(o.type() == null ? type : o.type(),
                    o.path() != null ? o.path() : sameType ? path : null,
                    o.expectStatus() != null ? o.expectStatus() : sameType ? expectStatus : null,
                    o.interval() != null ? o.interval() : interval, o.timeout() != null ? o.timeout() : timeout,
                    o.answerTimeout() != null ? o.answerTimeout() : answerTimeout, o.fall() != null ? o.fall() : fall, o.rise() != null ? o.rise() : rise,
                    o.port() != null ? o.port() : sameType ? port : null);
        }

        /** The probe as the probe loops and the dampener use it. */
        public ProbeSpec spec() {
            return new ProbeSpec(type, path, expectStatus, port == null ? 0 : port, interval.toMillis(),
                    (int) timeout.toMillis(), (int) answerTimeout.toMillis(), fall, rise);
        }
    }

    /** A service's own probe settings; what is not set comes from {@code trods.monitor.probe}. */
    public record ProbeOverride(String type, String path, Integer expectStatus, Duration interval, Duration timeout,
            Duration answerTimeout, Integer fall, Integer rise, Integer port) {}

    /** A server changing state more than {@code maxTransitions} times in {@code window} is held down. */
    public record Flap(Duration window, Integer maxTransitions, Duration holdDown) {

        public Flap {
            window = positive(window, Duration.ofSeconds(10), "trods.monitor.flap.window");
            maxTransitions = maxTransitions == null ? 4 : maxTransitions;
            check(maxTransitions >= 1, "trods.monitor.flap.max-transitions", "must be >= 1");
            holdDown = positive(holdDown, Duration.ofSeconds(30), "trods.monitor.flap.hold-down");
        }
    }

    private static Duration positive(Duration value, Duration fallback, String name) {
        Duration d = value == null ? fallback : value;
        check(!d.isNegative() && !d.isZero(), name, "must be positive, got " + d);
        return d;
    }

    private static void check(boolean ok, String property, String problem) {
        if (!ok) {
            throw new IllegalArgumentException(property + " " + problem);
        }
    }

    private static String hostname() {
        return ZkLayout.hostId("monitor");
    }
}
