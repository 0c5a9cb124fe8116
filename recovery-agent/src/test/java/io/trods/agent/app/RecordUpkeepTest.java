package io.trods.agent.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.trods.agent.flow.FlowKey;
import io.trods.agent.flow.FlowRecord;
import io.trods.agent.flow.FlowStore;
import io.trods.agent.flow.StoreUnavailableException;
import io.trods.agent.flow.Upkeep;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RecordUpkeepTest {

    /** Records each batch it is given; the first batch waits until the test lets it go. */
    static final class BatchStore implements FlowStore {
        final List<List<String>> batches = new CopyOnWriteArrayList<>();
        final CountDownLatch firstEntered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        volatile boolean down;

        @Override
        public void upkeep(List<Upkeep> work) {
            List<String> names = new ArrayList<>();
            for (Upkeep u : work) {
                names.add((u.handshake() != null ? "save " : "remove ") + u.key().clientPort());
            }
            batches.add(names);
            firstEntered.countDown();
            try {
                release.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (down) {
                throw new StoreUnavailableException("Redis: down", null);
            }
        }

        @Override public void save(FlowRecord record) { throw new UnsupportedOperationException(); }
        @Override public void saveIfAbsent(FlowRecord record) { throw new UnsupportedOperationException(); }
        @Override public Optional<FlowRecord> find(FlowKey key) { return Optional.empty(); }
        @Override public void moved(FlowRecord record, String previousServer) { }
        @Override public void delete(FlowKey key, String server) { throw new UnsupportedOperationException(); }
        @Override public List<FlowKey> flowsOf(String server) { return List.of(); }
        @Override public List<FlowKey> claimFlowsOf(String server, int max) { return List.of(); }
        @Override public boolean reachable() { return true; }
    }

    static FlowRecord handshake(int port) {
        return new FlowRecord(new FlowKey(0xC6120002, port, 80), "server1", 1460, 7, 7, true, true, 100,
                new byte[0], 200, new byte[0], 1L);
    }

    static FlowKey key(int port) {
        return new FlowKey(0xC6120002, port, 80);
    }

    static void awaitBatches(BatchStore store, int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (store.batches.size() < n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }

    @Test
    void whatQueuesWhileABatchIsOnTheWireGoesAsTheNextBatchInOrder() throws Exception {
        BatchStore store = new BatchStore();
        try (RecordUpkeep upkeep = new RecordUpkeep(store, 100, (k, e) -> { })) {
            upkeep.saveHandshake(handshake(1));
            assertThat(store.firstEntered.await(5, TimeUnit.SECONDS)).isTrue();
            upkeep.saveHandshake(handshake(2));
            upkeep.delete(key(1), "server1");
            upkeep.delete(key(2), "server1");
            upkeep.saveHandshake(handshake(1)); // the port used again by a new connection
            store.release.countDown();
            awaitBatches(store, 2);

            assertThat(store.batches).containsExactly(List.of("save 1"),
                    List.of("save 2", "remove 1", "remove 2", "save 1"));
            assertThat(upkeep.batches()).isEqualTo(2);
            assertThat(upkeep.dropped()).isZero();
        }
    }

    @Test
    void aRefusedBatchReportsEachOfItsFlowsAndTheThreadGoesOn() throws Exception {
        BatchStore store = new BatchStore();
        store.down = true;
        store.release.countDown();
        List<Integer> failed = new CopyOnWriteArrayList<>();
        try (RecordUpkeep upkeep = new RecordUpkeep(store, 100,
                (k, e) -> failed.add(k.clientPort() * (e instanceof StoreUnavailableException ? 1 : -1)))) {
            upkeep.saveHandshake(handshake(7));
            awaitBatches(store, 1);
            upkeep.delete(key(8), "server1");
            awaitBatches(store, 2);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (failed.size() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(failed).containsExactly(7, 8);
        }
    }

    @Test
    void aFullQueueDropsAndCountsInsteadOfBlockingThePacketThread() throws Exception {
        BatchStore store = new BatchStore();
        try (RecordUpkeep upkeep = new RecordUpkeep(store, 3, (k, e) -> { })) {
            upkeep.saveHandshake(handshake(1));
            assertThat(store.firstEntered.await(5, TimeUnit.SECONDS)).isTrue();
            for (int port = 2; port <= 6; port++) {
                upkeep.saveHandshake(handshake(port)); // 3 fit behind the one on the wire
            }
            assertThat(upkeep.dropped()).isEqualTo(2);
            store.release.countDown();
            awaitBatches(store, 2);
            assertThat(store.batches.get(1)).containsExactly("save 2", "save 3", "save 4");
        }
    }

    @Test
    void closingAppliesWhatIsStillQueued() throws Exception {
        BatchStore store = new BatchStore();
        RecordUpkeep upkeep = new RecordUpkeep(store, 100, (k, e) -> { });
        upkeep.saveHandshake(handshake(1));
        assertThat(store.firstEntered.await(5, TimeUnit.SECONDS)).isTrue();
        upkeep.delete(key(1), "server1");
        store.release.countDown();
        upkeep.close();
        assertThat(store.batches).containsExactly(List.of("save 1"), List.of("remove 1"));
    }

    @Test
    void batchesAreBounded() throws Exception {
        BatchStore store = new BatchStore();
        try (RecordUpkeep upkeep = new RecordUpkeep(store, 1000, (k, e) -> { })) {
            upkeep.saveHandshake(handshake(1));
            assertThat(store.firstEntered.await(5, TimeUnit.SECONDS)).isTrue();
            for (int port = 2; port <= 301; port++) {
                upkeep.delete(key(port), "server1");
            }
            store.release.countDown();
            awaitBatches(store, 3);
            assertThat(store.batches.stream().map(List::size)).containsExactly(1, RecordUpkeep.MAX_BATCH, 300 - RecordUpkeep.MAX_BATCH);
        }
    }

    /**
     * A handshake's record waits its delay; one the engine withdraws meanwhile is never sent, and
     * what queued behind it waits with it (the order is kept).
     */
    @Test
    void aHandshakeWaitsItsDelayAndOneWithdrawnMeanwhileIsNeverSent() throws Exception {
        BatchStore store = new BatchStore();
        store.release.countDown();
        try (RecordUpkeep upkeep = new RecordUpkeep(store, 100, java.time.Duration.ofMillis(300), (k, e) -> { })) {
            long start = System.nanoTime();
            io.trods.agent.engine.PendingHandshake first = upkeep.saveHandshake(handshake(1));
            io.trods.agent.engine.PendingHandshake second = upkeep.saveHandshake(handshake(2));
            upkeep.delete(key(3), "server1");
            assertThat(first.withdraw()).as("still waiting").isTrue();
            awaitBatches(store, 1);
            long waitedMillis = (System.nanoTime() - start) / 1_000_000;

            assertThat(store.batches).containsExactly(List.of("save 2", "remove 3"));
            assertThat(waitedMillis).as("held back for the delay").isGreaterThanOrEqualTo(250);
            assertThat(second.withdraw()).as("claimed for sending: too late").isFalse();
            assertThat(upkeep.withdrawn()).isEqualTo(1);
        }
    }

    /** A removal queued alone does not wait for any delay. */
    @Test
    void aRemovalAloneGoesAtOnce() throws Exception {
        BatchStore store = new BatchStore();
        store.release.countDown();
        try (RecordUpkeep upkeep = new RecordUpkeep(store, 100, java.time.Duration.ofSeconds(1), (k, e) -> { })) {
            long start = System.nanoTime();
            upkeep.delete(key(4), "server1");
            awaitBatches(store, 1);
            assertThat(store.batches).containsExactly(List.of("remove 4"));
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(900);
        }
    }
}
