package io.trods.agent.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.trods.control.AgentRegistration;
import io.trods.control.ControlCodec;
import io.trods.control.DirectorStatus;
import io.trods.control.ZkLayout;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Against a real (in-process) ZooKeeper server. */
class ControlPlaneLinkTest {

    private final ControlCodec codec = new ControlCodec();
    private final ZkLayout layout = ZkLayout.defaults();
    private final List<String> prompted = new CopyOnWriteArrayList<>();
    private TestingServer zookeeper;
    private CuratorFramework operator;
    private ControlPlaneLink link;

    @BeforeEach
    void start() throws Exception {
        zookeeper = new TestingServer(true);
        operator = client();
        operator.start();
        AgentRegistration self = new AgentRegistration("server1", "198.19.0.11", 80, List.of("198.18.0.10:80"), 1);
        link = new ControlPlaneLink(client(), layout, self, server -> {
            prompted.add(server);
            return 3;
        }, 400);
        link.start();
    }

    private CuratorFramework client() {
        return CuratorFrameworkFactory.newClient(zookeeper.getConnectString(), 3_000, 1_000, new RetryOneTime(100));
    }

    @AfterEach
    void stop() throws Exception {
        link.close();
        operator.close();
        zookeeper.close();
    }

    @Test
    void registersItselfEphemerally() throws Exception {
        waitFor(() -> exists(layout.agent("server1")), Duration.ofSeconds(5));
        AgentRegistration registration = codec.agentRegistration(operator.getData().forPath(layout.agent("server1")));
        assertThat(registration.address()).isEqualTo("198.19.0.11");
        assertThat(registration.services()).containsExactly("198.18.0.10:80");
        assertThat(operator.checkExists().forPath(layout.agent("server1")).getEphemeralOwner()).isNotZero();

        link.close();
        waitFor(() -> !exists(layout.agent("server1")), Duration.ofSeconds(5));
    }

    @Test
    void promptsANewFailureOnceEveryDirectorAppliedIt() throws Exception {
        waitFor(link::connected, Duration.ofSeconds(5));
        operator.create().creatingParentsIfNeeded().forPath(layout.director("lb1"),
                codec.encode(new DirectorStatus("lb1", "nftables", 1, 0, "")));
        operator.create().creatingParentsIfNeeded().forPath(layout.desired(),
                codec.encode(FailureWatchTest.state(2, "198.18.0.10", List.of(FailureWatchTest.failed("server2", 7)))));
        Thread.sleep(200);
        assertThat(prompted).as("the director has not applied version 2 yet").isEmpty();

        operator.setData().forPath(layout.director("lb1"), codec.encode(new DirectorStatus("lb1", "nftables", 2, 0, "")));
        waitFor(() -> prompted.size() == 1, Duration.ofSeconds(5));
        assertThat(prompted).containsExactly("server2");

        operator.setData().forPath(layout.desired(),
                codec.encode(FailureWatchTest.state(3, "198.18.0.10", List.of(FailureWatchTest.failed("server2", 7)))));
        Thread.sleep(300);
        assertThat(prompted).as("the same failure in a later version").containsExactly("server2");
        assertThat(link.lastSeenVersion()).isEqualTo(3);
    }

    @Test
    void promptsAnywayWhenNoDirectorConfirmsWithinTheWait() throws Exception {
        waitFor(link::connected, Duration.ofSeconds(5));
        long start = System.nanoTime();
        operator.create().creatingParentsIfNeeded().forPath(layout.desired(),
                codec.encode(FailureWatchTest.state(1, "198.18.0.10", List.of(FailureWatchTest.failed("server3", 7)))));
        waitFor(() -> prompted.size() == 1, Duration.ofSeconds(5));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(350));
    }

    @Test
    void anInvalidDecisionIsReportedAndIgnored() throws Exception {
        waitFor(link::connected, Duration.ofSeconds(5));
        operator.create().creatingParentsIfNeeded().forPath(layout.desired(), "{\"version\":\"x\"}".getBytes());
        waitFor(() -> link.lastError().isPresent(), Duration.ofSeconds(5));
        assertThat(link.lastError().orElseThrow()).contains("DesiredState");
        assertThat(prompted).isEmpty();
    }

    @Test
    void survivesAZooKeeperOutageAndRegistersAgain() throws Exception {
        waitFor(() -> exists(layout.agent("server1")), Duration.ofSeconds(5));
        zookeeper.stop();
        waitFor(() -> !link.connected(), Duration.ofSeconds(5));
        zookeeper.restart();
        waitFor(() -> link.connected() && exists(layout.agent("server1")), Duration.ofSeconds(15));
    }

    private boolean exists(String path) {
        try {
            return operator.checkExists().forPath(path) != null;
        } catch (Exception e) {
            return false;
        }
    }

    private static void waitFor(BooleanSupplier condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + timeout);
            }
            Thread.sleep(20);
        }
    }
}
