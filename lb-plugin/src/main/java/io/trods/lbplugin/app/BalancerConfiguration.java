package io.trods.lbplugin.app;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.trods.control.ControlCodec;
import io.trods.lbplugin.driver.BalancerDriver;
import io.trods.lbplugin.driver.CommandRunner;
import io.trods.lbplugin.driver.LocalCommandRunner;
import io.trods.lbplugin.ipvs.IpvsDriver;
import io.trods.lbplugin.ipvs.channel.GuestChannelRunner;
import io.trods.lbplugin.nftables.NftablesDriver;
import io.trods.lbplugin.nftables.NftablesRenderer;
import io.trods.lbplugin.nftables.SysctlFiles;
import io.trods.lbplugin.reconcile.ReconcileLoop;
import io.trods.lbplugin.reconcile.Reconciler;
import io.trods.lbplugin.source.DesiredStateSource;
import io.trods.lbplugin.source.FileSource;
import io.trods.lbplugin.source.ZooKeeperSource;
import io.trods.lbplugin.status.DirectorStatusPublisher;
import java.nio.file.Path;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Spring wiring of the plugin; the logic lives in the reconciler, driver and sources. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(BalancerProperties.class)
public class BalancerConfiguration {

    private static final Logger log = LoggerFactory.getLogger(BalancerConfiguration.class);

    @Bean
    ControlCodec controlCodec() {
        return new ControlCodec();
    }

    /** Where the driver's tools run; a bean so that a guest channel's connection is closed at shutdown. */
    @Bean
    CommandRunner balancerCommandRunner(BalancerProperties props) {
        if (props.driver().equals("ipvs") && props.ipvs().serialSocket().isPresent()) {
            return new GuestChannelRunner(props.ipvs().serialSocket().get());
        }
        return new LocalCommandRunner();
    }

    @Bean
    BalancerDriver balancerDriver(BalancerProperties props, CommandRunner runner) {
        if (props.driver().equals("ipvs")) {
            log.info("IPVS driver, ipvsadm via {}", props.ipvs().commandChannel());
            return new IpvsDriver(runner, props.manageSysctls(), props.commandTimeout());
        }
        return new NftablesDriver(runner, new NftablesRenderer(props.nftables().backendInterface()),
                SysctlFiles.proc(), props.manageSysctls(), props.commandTimeout());
    }

    @Bean
    Reconciler reconciler(BalancerDriver driver) {
        return new Reconciler(driver, System::currentTimeMillis);
    }

    @Bean(initMethod = "start", destroyMethod = "close")
    ReconcileLoop reconcileLoop(BalancerProperties props, Reconciler reconciler) {
        log.info("director {}: driver {}, desired state from {}", props.directorId(), reconciler.driver().name(),
                props.fromZooKeeper() ? "ZooKeeper " + props.zookeeper().connect() : props.file());
        return new ReconcileLoop(reconciler, props.minSyncInterval(), props.fullResyncInterval(),
                props.retryMinBackoff(), props.retryMaxBackoff());
    }

    @Bean
    BalancerMetrics balancerMetrics(Reconciler reconciler, ObjectProvider<MeterRegistry> meters) {
        BalancerMetrics metrics = new BalancerMetrics(meters.getIfAvailable(SimpleMeterRegistry::new), reconciler);
        reconciler.addListener(metrics);
        return metrics;
    }

    @Bean(initMethod = "start", destroyMethod = "close")
    @ConditionalOnProperty(prefix = "trods.balancer", name = "source", havingValue = "zookeeper", matchIfMissing = true)
    CuratorFramework curator(BalancerProperties props) {
        BalancerProperties.Zookeeper zk = props.zookeeper();
        return CuratorFrameworkFactory.builder()
                .connectString(zk.connect())
                .sessionTimeoutMs((int) zk.sessionTimeout().toMillis())
                .connectionTimeoutMs((int) zk.connectionTimeout().toMillis())
                // Quick retries: a director without its desired state for long defeats the failover.
                .retryPolicy(new ExponentialBackoffRetry(100, 29, 1_000))
                .build();
    }

    @Bean(initMethod = "start", destroyMethod = "close")
    @ConditionalOnProperty(prefix = "trods.balancer", name = "source", havingValue = "zookeeper", matchIfMissing = true)
    DirectorStatusPublisher directorStatusPublisher(BalancerProperties props, CuratorFramework curator,
            Reconciler reconciler, ControlCodec codec) {
        DirectorStatusPublisher publisher = new DirectorStatusPublisher(curator, props.zookeeper().layout(),
                props.directorId(), reconciler.driver().name(), codec);
        reconciler.addListener(publisher);
        return publisher;
    }

    @Bean(initMethod = "start", destroyMethod = "close")
    DesiredStateSource desiredStateSource(BalancerProperties props, ReconcileLoop loop, ControlCodec codec,
            ObjectProvider<CuratorFramework> curator) {
        if (props.fromZooKeeper()) {
            return new ZooKeeperSource(curator.getObject(), props.zookeeper().layout(), codec, loop::offer);
        }
        return new FileSource(Path.of(props.file()), props.filePollInterval(), codec, loop::offer);
    }

    @Bean
    BalancerEndpoint balancerEndpoint(BalancerProperties props, ReconcileLoop loop, DesiredStateSource source) {
        return new BalancerEndpoint(props.directorId(), loop, source);
    }

    @Bean
    BalancerHealthIndicator balancer(Reconciler reconciler, DesiredStateSource source) {
        return new BalancerHealthIndicator(reconciler, source);
    }
}
