package io.trods.monitor.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.trods.control.DesiredState;
import io.trods.monitor.app.MonitorHealthIndicatorAccess;
import io.trods.monitor.core.Fixture.WebServer;
import io.trods.monitor.health.HealthState;
import io.trods.monitor.probe.ServerEndpoint;
import java.time.Duration;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Status;

class ZooKeeperOutageTest {

    @Test
    void noPublicationWhileDisconnectedThenConverges() throws Exception {
        try (TestingServer zk = new TestingServer();
                WebServer w1 = new WebServer();
                WebServer w2 = new WebServer();
                WebServer w3 = new WebServer()) {
            CuratorFramework client = Fixture.client(zk.getConnectString());
            MonitorCore monitor = Fixture.core(Fixture.properties("monitor1", w1, w2, w3), client);
            try {
                DesiredState first = await().atMost(Duration.ofSeconds(10)).until(monitor::published,
                        d -> d != null && d.services().get(0).backends().size() == 3);
                assertThat(MonitorHealthIndicatorAccess.status(monitor)).isEqualTo(Status.UP);

                zk.stop();
                await().atMost(Duration.ofSeconds(5)).until(() -> !monitor.connected());
                assertThat(MonitorHealthIndicatorAccess.status(monitor)).isEqualTo(Status.DOWN);
                assertThat(monitor.isLeader()).as("leadership is dropped on SUSPENDED").isFalse();

                // s3 fails during the outage: probes see it, nothing can be (or is) published.
                w3.status.set(503);
                await().atMost(Duration.ofSeconds(3)).until(
                        () -> monitor.health().view(new io.trods.monitor.probe.ProbeTarget(new ServerEndpoint("127.0.0.1", w3.port()),
                                monitor.services().get(0).probe())).state() == HealthState.DOWN);
                Thread.sleep(2_500); // past the session timeout: the session is LOST, not only SUSPENDED
                assertThat(monitor.published().version()).isEqualTo(first.version());
                assertThat(monitor.lastError()).isEmpty();
                assertThat(monitor.mayPublish()).isFalse();

                zk.restart();
                DesiredState converged = await().atMost(Duration.ofSeconds(15)).until(monitor::published,
                        d -> d.services().get(0).hasFailed("s3"));
                assertThat(converged.version()).isEqualTo(first.version() + 1);
                assertThat(monitor.isLeader()).isTrue();
                assertThat(MonitorHealthIndicatorAccess.status(monitor)).isEqualTo(Status.UP);
                try (CuratorFramework reader = Fixture.client(zk.getConnectString())) {
                    reader.start();
                    assertThat(Fixture.desired(reader)).isEqualTo(converged);
                }
            } finally {
                monitor.close();
                client.close();
            }
        }
    }
}
