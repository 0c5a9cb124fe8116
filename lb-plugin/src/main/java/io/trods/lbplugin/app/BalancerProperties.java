package io.trods.lbplugin.app;

import io.trods.control.ZkLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The plugin's settings ({@code trods.balancer.*}); invalid values stop the start with the
 * property's name.
 *
 * @param driver the kernel balancer: {@code nftables} or {@code ipvs}
 * @param source {@code zookeeper} (the monitor leader's desired state) or {@code file}
 * @param file the desired-state JSON file with {@code source=file}
 * @param directorId this director's name in its published status (default: hostname)
 * @param manageSysctls set the kernel settings the driver needs instead of only warning
 * @param minSyncInterval bursts of desired states closer than this become one sync
 * @param fullResyncInterval how often the kernel's table is read back to repair drift
 * @param commandTimeout how long one {@code nft}, {@code conntrack}, {@code ipvsadm} or {@code sysctl} run may take
 * @param ipvs settings of the {@code ipvs} driver
 */
@ConfigurationProperties("trods.balancer")
public record BalancerProperties(String driver, String source, String file, String directorId, Boolean manageSysctls,
        Duration minSyncInterval, Duration fullResyncInterval, Duration retryMinBackoff, Duration retryMaxBackoff,
        Duration commandTimeout, Duration filePollInterval, Zookeeper zookeeper, Nftables nftables, Ipvs ipvs) {

    public BalancerProperties {
        driver = driver == null || driver.isBlank() ? "nftables" : driver.trim().toLowerCase();
        check(driver.equals("nftables") || driver.equals("ipvs"), "trods.balancer.driver",
                "must be nftables or ipvs, got '" + driver + "'");
        source = source == null || source.isBlank() ? "zookeeper" : source.trim().toLowerCase();
        check(source.equals("zookeeper") || source.equals("file"), "trods.balancer.source",
                "must be zookeeper or file, got '" + source + "'");
        file = file == null ? "" : file.trim();
        check(!source.equals("file") || !file.isEmpty(), "trods.balancer.file", "is required with source=file");
        directorId = directorId == null || directorId.isBlank() ? hostname() : directorId.trim();
        check(directorId.matches("[A-Za-z0-9_.-]{1,64}"), "trods.balancer.director-id",
                "must be 1-64 of [A-Za-z0-9_.-], got '" + directorId + "'");
        manageSysctls = manageSysctls != null && manageSysctls;
        minSyncInterval = atLeast(minSyncInterval, Duration.ofMillis(20), Duration.ZERO, "trods.balancer.min-sync-interval");
        fullResyncInterval = positive(fullResyncInterval, Duration.ofSeconds(60), "trods.balancer.full-resync-interval");
        retryMinBackoff = positive(retryMinBackoff, Duration.ofMillis(100), "trods.balancer.retry-min-backoff");
        retryMaxBackoff = positive(retryMaxBackoff, Duration.ofSeconds(5), "trods.balancer.retry-max-backoff");
        commandTimeout = positive(commandTimeout, Duration.ofSeconds(5), "trods.balancer.command-timeout");
        filePollInterval = positive(filePollInterval, Duration.ofSeconds(1), "trods.balancer.file-poll-interval");
        zookeeper = zookeeper == null ? new Zookeeper(null, null, null, null) : zookeeper;
        check(!source.equals("zookeeper") || !zookeeper.connect().isEmpty(), "trods.balancer.zookeeper.connect",
                "is required with source=zookeeper (host:port,...), or set trods.balancer.source=file");
        nftables = nftables == null ? new Nftables(null) : nftables;
        ipvs = ipvs == null ? new Ipvs(null) : ipvs;
    }

    public boolean fromZooKeeper() {
        return source.equals("zookeeper");
    }

    /** @param root the control plane's znode root, shared with the monitors and agents */
    public record Zookeeper(String connect, Duration sessionTimeout, Duration connectionTimeout, String root) {

        public Zookeeper {
            connect = connect == null ? "" : connect.trim();
            sessionTimeout = positive(sessionTimeout, Duration.ofSeconds(5), "trods.balancer.zookeeper.session-timeout");
            connectionTimeout = positive(connectionTimeout, Duration.ofSeconds(2),
                    "trods.balancer.zookeeper.connection-timeout");
            root = root == null || root.isBlank() ? ZkLayout.DEFAULT_ROOT : root.trim();
            try {
                new ZkLayout(root);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("trods.balancer.zookeeper.root " + e.getMessage());
            }
        }

        public ZkLayout layout() {
            return new ZkLayout(root);
        }
    }

    /**
     * @param backendInterface the interface towards the servers ({@code eth1} in the lab): prompts
     *     arriving there from a VIP are kept out of conntrack; empty: no such rule
     */
    public record Nftables(String backendInterface) {

        public Nftables {
            backendInterface = backendInterface == null ? "" : backendInterface.trim();
            check(backendInterface.isEmpty() || backendInterface.matches("[A-Za-z0-9_.:-]{1,15}"),
                    "trods.balancer.nftables.backend-interface", "must be an interface name, got '" + backendInterface + "'");
        }
    }

    /**
     * @param commandChannel where {@code ipvsadm} and {@code sysctl} run: {@code local} (this host's
     *     kernel), or {@code serial:/path/to/socket}, the unix socket of a qemu guest's control port
     *     (the lab's IPVS director, see lab/ipvs)
     */
    public record Ipvs(String commandChannel) {

        private static final String SERIAL = "serial:";

        public Ipvs {
            commandChannel = commandChannel == null || commandChannel.isBlank() ? "local" : commandChannel.trim();
            check(commandChannel.equals("local")
                    || commandChannel.startsWith(SERIAL) && commandChannel.substring(SERIAL.length()).startsWith("/"),
                    "trods.balancer.ipvs.command-channel",
                    "must be local or serial:/absolute/path/to/socket, got '" + commandChannel + "'");
        }

        /** The guest control socket with {@code serial:PATH}; empty for {@code local}. */
        public Optional<Path> serialSocket() {
            return commandChannel.startsWith(SERIAL)
                    ? Optional.of(Path.of(commandChannel.substring(SERIAL.length())))
                    : Optional.empty();
        }
    }

    private static Duration positive(Duration value, Duration fallback, String name) {
        Duration d = value == null ? fallback : value;
        check(!d.isNegative() && !d.isZero(), name, "must be positive, got " + d);
        return d;
    }

    private static Duration atLeast(Duration value, Duration fallback, Duration min, String name) {
        Duration d = value == null ? fallback : value;
        check(d.compareTo(min) >= 0, name, "must be at least " + min + ", got " + d);
        return d;
    }

    private static void check(boolean ok, String property, String problem) {
        if (!ok) {
            throw new IllegalArgumentException(property + " " + problem);
        }
    }

    private static String hostname() {
        return ZkLayout.hostId("director");
    }
}
