package io.trods.agent.recovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Workers are started by the launcher's thread, never by the caller's; refusals are reported. */
class WorkerLauncherTest {

    final ExecutorService pool = new ThreadPoolExecutor(0, 1, 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
            r -> new Thread(r, "test-worker"));
    WorkerLauncher launcher;

    @AfterEach
    void stop() {
        if (launcher != null) {
            launcher.close();
        }
        pool.shutdownNow();
    }

    /** Work that records where it ran and whether it was refused. */
    static final class Work implements WorkerLauncher.Launchable {
        final CountDownLatch done = new CountDownLatch(1);
        final AtomicReference<String> ranOn = new AtomicReference<>();
        final CountDownLatch refused = new CountDownLatch(1);
        final CountDownLatch release;

        Work(CountDownLatch release) {
            this.release = release;
        }

        @Override
        public void run() {
            ranOn.set(Thread.currentThread().getName());
            done.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void rejected() {
            refused.countDown();
        }
    }

    @Test
    void theWorkRunsOnAPoolThreadStartedByTheLaunchersThread() throws Exception {
        AtomicReference<String> startedBy = new AtomicReference<>();
        launcher = new WorkerLauncher(work -> {
            startedBy.set(Thread.currentThread().getName());
            pool.execute(work);
        }, 16);
        Work work = new Work(new CountDownLatch(0));

        launcher.execute(work);

        assertThat(work.done.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(work.ranOn.get()).isEqualTo("test-worker");
        assertThat(startedBy.get()).isEqualTo("trods-recovery-launcher");
    }

    @Test
    void workThePoolRefusesIsToldSo() throws Exception {
        launcher = new WorkerLauncher(pool, 16);
        CountDownLatch release = new CountDownLatch(1);
        Work first = new Work(release);
        Work second = new Work(release);

        launcher.execute(first);
        assertThat(first.done.await(5, TimeUnit.SECONDS)).isTrue(); // the pool's only thread is busy
        launcher.execute(second);

        assertThat(second.refused.await(5, TimeUnit.SECONDS)).as("refused").isTrue();
        assertThat(second.ranOn.get()).isNull();
        release.countDown();
    }

    @Test
    void aFullQueueRefusesAtOnceAndClosingRefusesWhatWaits() throws Exception {
        CountDownLatch launching = new CountDownLatch(1);
        Executor stuck = work -> { // a pool that takes long to start a thread
            launching.countDown();
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException e) {
                throw new RejectedExecutionException("interrupted");
            }
        };
        launcher = new WorkerLauncher(stuck, 1);
        Work inLaunch = new Work(new CountDownLatch(0));
        Work waiting = new Work(new CountDownLatch(0));
        launcher.execute(inLaunch);
        assertThat(launching.await(5, TimeUnit.SECONDS)).isTrue();
        launcher.execute(waiting);

        assertThatThrownBy(() -> launcher.execute(new Work(new CountDownLatch(0))))
                .isInstanceOf(RejectedExecutionException.class);

        launcher.close();
        assertThat(inLaunch.refused.await(5, TimeUnit.SECONDS)).as("the one in launch").isTrue();
        assertThat(waiting.refused.await(5, TimeUnit.SECONDS)).as("the one waiting").isTrue();
        assertThatThrownBy(() -> launcher.execute(new Work(new CountDownLatch(0))))
                .isInstanceOf(RejectedExecutionException.class);
    }
}
