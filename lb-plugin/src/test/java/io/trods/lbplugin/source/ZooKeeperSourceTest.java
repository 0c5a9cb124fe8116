package io.trods.lbplugin.source;

import static io.trods.lbplugin.reconcile.States.server;
import static io.trods.lbplugin.reconcile.States.web;
import static org.assertj.core.api.Assertions.assertThat;

import io.trods.control.ControlCodec;
import io.trods.control.DesiredState;
import io.trods.control.DirectorStatus;
import io.trods.control.ZkLayout;
import io.trods.lbplugin.app.BalancerHealthIndicator;
import io.trods.lbplugin.reconcile.Await;
import io.trods.lbplugin.reconcile.FakeKernelDriver;
import io.trods.lbplugin.reconcile.ReconcileLoop;
import io.trods.lbplugin.reconcile.Reconciler;
import io.trods.lbplugin.status.DirectorStatusPublisher;
import io.trods.lbplugin.table.BalancerTable;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Status;

class ZooKeeperSourceTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final ZkLayout layout = ZkLayout.defaults();
    private final ControlCodec codec = new ControlCodec();
    private final FakeKernelDriver kernel = new FakeKernelDriver();
    private final Reconciler reconciler = new Reconciler(kernel, System::currentTimeMillis);
    private final ReconcileLoop loop = new ReconcileLoop(reconciler, Duration.ofMillis(5), Duration.ofMinutes(1),
            Duration.ofMillis(50), Duration.ofMillis(200));
    private TestingServer zookeeper;
    private CuratorFramework plugin;
    private CuratorFramework monitor;
    private ZooKeeperSource source;
    private DirectorStatusPublisher publisher;

    @BeforeEach
    void start() throws Exception {
        zookeeper = new TestingServer(true);
        plugin = client();
        monitor = client();
        loop.start();
        source = new ZooKeeperSource(plugin, layout, codec, loop::offer);
        source.start();
        publisher = new DirectorStatusPublisher(plugin, layout, "balancer", kernel.name(), codec);
        reconciler.addListener(publisher);
        publisher.start();
    }

    @AfterEach
    void stop() throws Exception {
        publisher.close();
        source.close();
        loop.close();
        plugin.close();
        monitor.close();
        zookeeper.close();
    }

    @Test
    void appliesPublishedStatesKeepsTheLastGoodOneAndPublishesItsStatus() throws Exception {
        DesiredState v1 = web(1, server(1, 1), server(2, 1));
        publish(codec.encode(v1));

        Await.until("the kernel holds version 1", WAIT, () -> kernel.kernel().equals(BalancerTable.from(v1)));
        Await.until("the director status says version 1", WAIT, () -> directorStatus().appliedVersion() == 1);
        assertThat(directorStatus().driver()).isEqualTo("fake");
        assertThat(directorStatus().error()).isEmpty();

        publish("{\"version\": 2, \"services\": [{\"name\": \"web\"".getBytes(StandardCharsets.UTF_8));

        Await.until("the invalid document is counted", WAIT, () -> source.status().invalidDocuments() == 1);
        assertThat(source.status().lastInvalidReason()).contains("DesiredState");
        assertThat(kernel.kernel()).isEqualTo(BalancerTable.from(v1));
        assertThat(reconciler.status().desiredVersion()).isEqualTo(1);
    }

    @Test
    void keepsTheTableWithoutZooKeeperAndConvergesAfterwards() throws Exception {
        DesiredState v1 = web(1, server(1, 1), server(2, 1));
        publish(codec.encode(v1));
        Await.until("the kernel holds version 1", WAIT, () -> kernel.kernel().equals(BalancerTable.from(v1)));
        BalancerHealthIndicator health = new BalancerHealthIndicator(reconciler, source);
        assertThat(health.health().getStatus()).isEqualTo(Status.UP);

        zookeeper.stop();

        Await.until("the source sees the disconnection", WAIT, () -> !source.status().connected());
        assertThat(source.status().failStatic()).isTrue();
        assertThat(kernel.kernel()).isEqualTo(BalancerTable.from(v1));
        assertThat(health.health().getStatus()).isEqualTo(Status.DOWN);
        assertThat(health.health().getDetails()).containsEntry("failStatic", true)
                .containsEntry("connection", source.status().connection());
        assertThat(source.status().connection()).isIn("SUSPENDED", "LOST");

        zookeeper.restart();
        DesiredState v3 = web(3, server(1, 1), server(3, 2));
        publish(codec.encode(v3));

        Await.until("the kernel holds version 3", WAIT, () -> kernel.kernel().equals(BalancerTable.from(v3)));
        Await.until("the director status says version 3", WAIT, () -> directorStatus().appliedVersion() == 3);
        Await.until("the source is connected", WAIT, () -> source.status().connected());
        assertThat(health.health().getStatus()).isEqualTo(Status.UP);
        assertThat(kernel.forgotten).extracting(FakeKernelDriver.Forgotten::address).containsExactly("198.19.0.12");
    }

    private void publish(byte[] document) throws Exception {
        if (monitor.checkExists().forPath(layout.desired()) == null) {
            monitor.create().creatingParentsIfNeeded().forPath(layout.desired(), document);
        } else {
            monitor.setData().forPath(layout.desired(), document);
        }
    }

    private DirectorStatus directorStatus() {
        try {
            byte[] data = monitor.getData().forPath(layout.director("balancer"));
            return codec.directorStatus(data);
        } catch (Exception e) {
            return new DirectorStatus("balancer", "", -1, 0, e.toString());
        }
    }

    private CuratorFramework client() {
        CuratorFramework client = CuratorFrameworkFactory.builder().connectString(zookeeper.getConnectString())
                .sessionTimeoutMs(4_000).connectionTimeoutMs(1_000)
                .retryPolicy(new ExponentialBackoffRetry(50, 29, 250)).build();
        client.start();
        return client;
    }
}
