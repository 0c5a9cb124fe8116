package io.trods.monitor.app;

import io.micrometer.core.instrument.MeterRegistry;
import io.trods.monitor.config.MonitorProperties;
import io.trods.monitor.core.MonitorCore;
import io.trods.monitor.probe.ProbeSpec;
import io.trods.monitor.zk.EmbeddedZooKeeper;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Spring wiring of one monitor instance; the logic lives in {@link MonitorCore} and below. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(MonitorProperties.class)
public class MonitorConfiguration {

    private static final Logger log = LoggerFactory.getLogger(MonitorConfiguration.class);

    /** A single-node ZooKeeper in this process when {@code trods.monitor.zookeeper.connect} is empty. */
    @Bean(destroyMethod = "close")
    EmbeddedZooKeeperHolder embeddedZooKeeper(MonitorProperties props) throws Exception {
        MonitorProperties.Zookeeper zk = props.zookeeper();
        if (!zk.embedded()) {
            return new EmbeddedZooKeeperHolder(null);
        }
        log.info("trods.monitor.zookeeper.connect is empty: starting an embedded single-node ZooKeeper");
        return new EmbeddedZooKeeperHolder(new EmbeddedZooKeeper(zk.embeddedPort(), zk.embeddedDir()));
    }

    @Bean(destroyMethod = "close")
    CuratorFramework curator(MonitorProperties props, EmbeddedZooKeeperHolder embedded) {
        MonitorProperties.Zookeeper zk = props.zookeeper();
        String connect = embedded.server() == null ? zk.connect() : embedded.server().connectString();
        int session = (int) zk.sessionTimeout().toMillis();
        return CuratorFrameworkFactory.builder()
                .connectString(connect)
                .sessionTimeoutMs(session)
                .connectionTimeoutMs(Math.max(500, session / 2))
                .retryPolicy(new ExponentialBackoffRetry(100, 29, 1_000))
                .build();
    }

    @Bean(initMethod = "start", destroyMethod = "close")
    MonitorCore monitorCore(MonitorProperties props, CuratorFramework curator, ObjectProvider<MeterRegistry> meters) {
        if (props.services().isEmpty()) {
            log.warn("no trods.monitor.services configured: the published document will list no service");
        }
        MeterRegistry registry = meters.getIfAvailable(io.micrometer.core.instrument.simple.SimpleMeterRegistry::new);
        return new MonitorCore(props, curator, registry, ProbeSpec::newProbe);
    }

    @Bean
    PoolEndpoint poolEndpoint(MonitorCore core) {
        return new PoolEndpoint(core);
    }

    @Bean
    MonitorHealthIndicator monitor(MonitorCore core) {
        return new MonitorHealthIndicator(core);
    }

    /** Lets the embedded server be optional while Spring still closes it after Curator. */
    record EmbeddedZooKeeperHolder(EmbeddedZooKeeper server) implements AutoCloseable {

        @Override
        public void close() {
            if (server != null) {
                server.close();
            }
        }
    }
}
