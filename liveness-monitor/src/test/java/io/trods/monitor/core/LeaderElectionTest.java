package io.trods.monitor.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.trods.control.DesiredState;
import io.trods.control.VirtualService;
import io.trods.monitor.core.Fixture.WebServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.test.KillSession;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.Test;

class LeaderElectionTest {

    @Test
    void oneLeaderPublishesAndTheOtherTakesOverWithHigherVersions() throws Exception {
        try (TestingServer zk = new TestingServer();
                WebServer w1 = new WebServer();
                WebServer w2 = new WebServer();
                CuratorFramework reader = Fixture.client(zk.getConnectString())) {
            reader.start();
            List<Long> versions = new CopyOnWriteArrayList<>();
            try (CuratorCache watch = CuratorCache.build(reader, Fixture.LAYOUT.desired())) {
                watch.listenable().addListener((type, before, after) -> {
                    if (after != null) {
                        versions.add(decode(after.getData()).version());
                    }
                });
                watch.start();

                CuratorFramework c1 = Fixture.client(zk.getConnectString());
                CuratorFramework c2 = Fixture.client(zk.getConnectString());
                MonitorCore m1 = Fixture.core(Fixture.properties("monitor1", w1, w2), c1);
                MonitorCore m2 = Fixture.core(Fixture.properties("monitor2", w1, w2), c2);
                try {
                    DesiredState first = await().atMost(Duration.ofSeconds(10))
                            .until(() -> Fixture.desired(reader), d -> d != null && web(d).backends().size() == 2);
                    assertThat(m1.isLeader() ^ m2.isLeader()).as("exactly one leader").isTrue();
                    MonitorCore leader = m1.isLeader() ? m1 : m2;
                    MonitorCore follower = leader == m1 ? m2 : m1;
                    CuratorFramework leaderClient = leader == m1 ? c1 : c2;
                    assertThat(first.publishedBy()).isEqualTo(leader.id());
                    assertThat(follower.leaderId()).isEqualTo(leader.id());

                    // s2 fails: the leader removes it.
                    w2.status.set(500);
                    DesiredState removed = await().atMost(Duration.ofSeconds(5))
                            .until(() -> Fixture.desired(reader), d -> web(d).hasFailed("s2"));
                    assertThat(removed.version()).isGreaterThan(first.version());
                    assertThat(removed.publishedBy()).isEqualTo(leader.id());
                    assertThat(web(removed).failed().get(0).reason()).contains("status 500");
                    // The follower probes too: it already knows s2 is down.
                    assertThat(follower.health().view(new io.trods.monitor.probe.ProbeTarget(
                            new io.trods.monitor.probe.ServerEndpoint("127.0.0.1", w2.port()), follower.services().get(0).probe())).state())
                            .isEqualTo(io.trods.monitor.health.HealthState.DOWN);

                    // The leader's session dies: the follower takes over and publishes s2's recovery.
                    KillSession.kill(leaderClient.getZookeeperClient().getZooKeeper());
                    await().atMost(Duration.ofSeconds(10)).until(follower::isLeader);
                    w2.status.set(200);
                    DesiredState recovered = await().atMost(Duration.ofSeconds(5))
                            .until(() -> Fixture.desired(reader), d -> web(d).backend("s2").isPresent());
                    assertThat(recovered.publishedBy()).isEqualTo(follower.id());
                    assertThat(recovered.version()).isGreaterThan(removed.version());

                    // Nothing else changes: no further versions, whoever leads now.
                    Thread.sleep(600);
                    Stat stat = new Stat();
                    DesiredState last = decode(reader.getData().storingStatIn(stat).forPath(Fixture.LAYOUT.desired()));
                    assertThat(last.version()).isEqualTo(recovered.version());
                    // Every write was a compare-and-set on the one before: document version = znode version + 1.
                    assertThat(last.version()).isEqualTo(stat.getVersion() + 1L);
                    assertThat(versions).isSorted().doesNotHaveDuplicates();
                } finally {
                    m1.close();
                    m2.close();
                    c1.close();
                    c2.close();
                }
            }
        }
    }

    static VirtualService web(DesiredState d) {
        return d.services().get(0);
    }

    private static DesiredState decode(byte[] bytes) {
        try {
            return Fixture.CODEC.desiredState(bytes);
        } catch (io.trods.control.InvalidDocumentException e) {
            throw new AssertionError(e);
        }
    }
}
