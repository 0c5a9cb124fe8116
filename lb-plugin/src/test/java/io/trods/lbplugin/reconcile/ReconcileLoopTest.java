package io.trods.lbplugin.reconcile;

import static io.trods.lbplugin.reconcile.States.server;
import static io.trods.lbplugin.reconcile.States.web;
import static org.assertj.core.api.Assertions.assertThat;

import io.trods.lbplugin.table.BalancerTable;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ReconcileLoopTest {

    private final FakeKernelDriver kernel = new FakeKernelDriver();
    private final Reconciler reconciler = new Reconciler(kernel, System::currentTimeMillis);
    private final List<SyncRecord> syncs = new CopyOnWriteArrayList<>();
    private ReconcileLoop loop;

    @AfterEach
    void close() {
        loop.close();
    }

    @Test
    void burstOfStatesBecomesFewSyncsToTheNewest() {
        loop = start(Duration.ofMillis(200));
        loop.offer(web(1, server(1, 1)));
        Await.until("first sync", Duration.ofSeconds(5), () -> syncs.size() == 1);

        for (int v = 2; v <= 20; v++) {
            loop.offer(web(v, server(1, v)));
        }

        Await.until("version 20 applied", Duration.ofSeconds(5), () -> reconciler.status().appliedVersion() == 20);
        assertThat(syncs).hasSize(2); // the 19 states arrived within one throttle interval
        assertThat(kernel.kernel()).isEqualTo(BalancerTable.from(web(20, server(1, 20))));
    }

    @Test
    void firstStateIsAppliedWithoutWaiting() {
        loop = start(Duration.ofMillis(20));
        long started = System.nanoTime();

        loop.offer(web(1, server(1, 1)));

        Await.until("applied", Duration.ofSeconds(5), () -> reconciler.status().appliedVersion() == 1);
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofMillis(500));
    }

    @Test
    void failureIsRetriedWithAFullResync() {
        loop = start(Duration.ofMillis(5));
        kernel.failAtOperation(0);

        loop.offer(web(1, server(1, 1)));

        Await.until("converged after a retry", Duration.ofSeconds(5),
                () -> kernel.kernel().equals(BalancerTable.from(web(1, server(1, 1)))));
        assertThat(syncs.get(0).failed()).isTrue();
        assertThat(syncs.get(syncs.size() - 1).full()).isTrue();
        assertThat(syncs.get(syncs.size() - 1).failed()).isFalse();
    }

    @Test
    void requestedResyncReadsTheKernel() {
        loop = start(Duration.ofMillis(5));
        loop.offer(web(1, server(1, 1)));
        Await.until("applied", Duration.ofSeconds(5), () -> reconciler.status().appliedVersion() == 1);
        kernel.drift(t -> BalancerTable.empty());

        loop.requestFullResync();

        Await.until("drift repaired", Duration.ofSeconds(5),
                () -> kernel.kernel().equals(BalancerTable.from(web(1, server(1, 1)))));
    }

    private ReconcileLoop start(Duration minInterval) {
        reconciler.addListener(syncs::add);
        ReconcileLoop started = new ReconcileLoop(reconciler, minInterval, Duration.ofMinutes(1), Duration.ofMillis(20),
                Duration.ofMillis(100));
        started.start();
        return started;
    }
}
