package io.trods.agent.app;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The agent's control-plane settings ({@code trods.agent.control.*}).
 *
 * @param zookeeperConnect the ZooKeeper ensemble ({@code host:port,...}); empty: no registration and
 *     no prompting on the monitor's decisions (recovery still works on the clients' retransmissions)
 * @param root the control plane's root znode (default {@code /trods})
 * @param advertisedAddress the address the balancer and monitor reach this web server at (default:
 *     the host's first non-loopback IPv4 address)
 * @param sessionTimeout ZooKeeper session timeout: how long the registration outlives a lost agent
 * @param promptWait how long a failure waits for every director to apply it before its clients are
 *     prompted anyway (prompting earlier would send their answers to the dead server)
 * @param promptFailures whether to prompt a failed server's clients at all (default true; off, for
 *     comparisons: recovery then waits for the clients' own retransmissions)
 */
@ConfigurationProperties("trods.agent.control")
public record ControlPlaneProperties(String zookeeperConnect, String root, String advertisedAddress,
        Duration sessionTimeout, Duration promptWait, Boolean promptFailures) {

    public ControlPlaneProperties {
        zookeeperConnect = zookeeperConnect == null ? "" : zookeeperConnect.trim();
        root = root == null || root.isBlank() ? "/trods" : root;
        advertisedAddress = advertisedAddress == null ? "" : advertisedAddress.trim();
        sessionTimeout = sessionTimeout == null ? Duration.ofSeconds(5) : sessionTimeout;
        promptWait = promptWait == null ? Duration.ofSeconds(1) : promptWait;
        promptFailures = promptFailures == null || promptFailures;
    }

    public boolean enabled() {
        return !zookeeperConnect.isEmpty();
    }
}
