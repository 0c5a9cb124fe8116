package io.trods.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import io.trods.agent.engine.PendingHandshake;
import io.trods.agent.engine.RecordKeeper;
import io.trods.agent.flow.FlowKey;
import io.trods.agent.flow.FlowRecord;
import io.trods.agent.flow.FlowStore;
import io.trods.agent.flow.StoreUnavailableException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class PacketThreadKeeperTest {

    static final long DELAY = 2_000_000;

    long now = 1_000_000_000L;
    final List<String> sent = new ArrayList<>();
    final List<CompletableFuture<Void>> answers = new ArrayList<>();
    final List<String> background = new ArrayList<>();
    final List<String> failures = new ArrayList<>();
    boolean open = true;
    boolean full;

    final FlowStore store = new FlowStore() {
        @Override
        public int answerFd() {
            return open ? 7 : -1;
        }

        @Override
        public CompletableFuture<Void> queueHandshake(FlowRecord record) {
            return queued("handshake " + record.key().clientPort());
        }

        @Override
        public CompletableFuture<Void> queueRemoval(FlowKey key, String server, boolean afterReset) {
            return queued("remove " + key.clientPort() + (afterReset ? " after a reset" : ""));
        }

        private CompletableFuture<Void> queued(String what) {
            if (!open || full) {
                return null;
            }
            sent.add(what);
            CompletableFuture<Void> answer = new CompletableFuture<>();
            answers.add(answer);
            return answer;
        }

        @Override
        public void save(FlowRecord record) {
        }

        @Override
        public void saveIfAbsent(FlowRecord record) {
        }

        @Override
        public void moved(FlowRecord record, String previousServer) {
        }

        @Override
        public Optional<FlowRecord> find(FlowKey key) {
            return Optional.empty();
        }

        @Override
        public void delete(FlowKey key, String server) {
        }

        @Override
        public List<FlowKey> flowsOf(String server) {
            return List.of();
        }

        @Override
        public List<FlowKey> claimFlowsOf(String server, int max) {
            return List.of();
        }

        @Override
        public boolean reachable() {
            return true;
        }
    };

    final RecordKeeper thread = new RecordKeeper() {
        @Override
        public PendingHandshake saveHandshake(FlowRecord record) {
            background.add("handshake " + record.key().clientPort());
            return new PendingHandshake();
        }

        @Override
        public void delete(FlowKey key, String server) {
            background.add("remove " + key.clientPort());
        }

        @Override
        public void delete(FlowKey key, String server, boolean afterReset) {
            background.add("remove " + key.clientPort() + (afterReset ? " after a reset" : ""));
        }
    };

    final PacketThreadKeeper keeper = new PacketThreadKeeper(store, thread, DELAY, () -> now,
            (key, e) -> failures.add(key.clientPort() + ": " + e.getMessage()));

    static FlowRecord handshake(int port) {
        return new FlowRecord(new FlowKey(0xC6120002, port, 80), "server1", 1460, 7, 7, true, true, 1, new byte[0], 2,
                new byte[0], 42L);
    }

    @Test
    void aHandshakesRecordWaitsItsDelayThenGoesUnlessWithdrawn() {
        PendingHandshake first = keeper.saveHandshake(handshake(1));
        now += 1_000_000;
        PendingHandshake second = keeper.saveHandshake(handshake(2));
        assertThat(keeper.sendDue()).as("ns until the first is due").isEqualTo(1_000_000);
        assertThat(sent).isEmpty();

        assertThat(second.withdraw()).isTrue(); // its response was saved first
        now += 1_000_000;
        assertThat(keeper.sendDue()).as("the second, withdrawn, sets no time to wake up").isEqualTo(-1);
        assertThat(sent).containsExactly("handshake 1");
        assertThat(first.withdraw()).as("claimed: sent").isFalse();
        assertThat(keeper.waiting()).isZero();
        assertThat(keeper.withdrawn()).isEqualTo(1);
        assertThat(background).isEmpty();
    }

    @Test
    void aRemovalGoesAtOnceBehindWhatWasSentBefore() {
        keeper.saveHandshake(handshake(1));
        now += DELAY;
        keeper.sendDue();
        keeper.delete(new FlowKey(0xC6120002, 1, 80), "server1");
        assertThat(sent).containsExactly("handshake 1", "remove 1");
    }

    /** A removal after a reset stays one wherever it goes: directly, deferred, or in the background. */
    @Test
    void aRemovalAfterAResetKeepsItsKindOnEveryPath() {
        keeper.delete(new FlowKey(0xC6120002, 1, 80), "server1", true);
        full = true;
        keeper.delete(new FlowKey(0xC6120002, 2, 80), "server1", true);
        full = false;
        keeper.sendDue();
        open = false;
        keeper.delete(new FlowKey(0xC6120002, 3, 80), "server1", true);
        assertThat(sent).containsExactly("remove 1 after a reset", "remove 2 after a reset");
        assertThat(background).containsExactly("remove 3 after a reset");
    }

    @Test
    void withoutTheConnectionOrRoomOnItTheBackgroundKeeperTakesTheWork() {
        open = false;
        keeper.saveHandshake(handshake(1));
        keeper.delete(new FlowKey(0xC6120002, 1, 80), "server1");
        assertThat(keeper.waiting()).isZero();

        open = true;
        keeper.saveHandshake(handshake(2));
        full = true; // the batch is full when it is due
        now += DELAY;
        keeper.sendDue();
        keeper.delete(new FlowKey(0xC6120002, 2, 80), "server1");
        assertThat(sent).isEmpty();
        assertThat(background).containsExactly("handshake 1", "remove 1", "handshake 2", "remove 2");
    }

    /**
     * Seen right after an agent started: the first connection's handshake went to the background
     * while the connection opened, its removal went on the connection, arrived first, and the
     * record outlived the connection.
     */
    @Test
    void aRemovalFollowsItsHandshakeToTheBackgroundOnceTheConnectionIsOpen() {
        open = false;
        keeper.saveHandshake(handshake(1));
        open = true;
        keeper.saveHandshake(handshake(2));
        now += DELAY;
        keeper.sendDue();

        keeper.delete(new FlowKey(0xC6120002, 1, 80), "server1");
        keeper.delete(new FlowKey(0xC6120002, 2, 80), "server1");
        assertThat(background).containsExactly("handshake 1", "remove 1");
        assertThat(sent).containsExactly("handshake 2", "remove 2");

        keeper.delete(new FlowKey(0xC6120002, 1, 80), "server1"); // a later connection of the same four-tuple
        assertThat(sent).endsWith("remove 1");
    }

    @Test
    void aRemovalWithoutRoomOnTheConnectionWaitsBehindWhatTheBatchHolds() {
        keeper.saveHandshake(handshake(1));
        now += DELAY;
        keeper.sendDue();
        full = true;
        keeper.delete(new FlowKey(0xC6120002, 1, 80), "server1");
        full = false;
        keeper.delete(new FlowKey(0xC6120002, 3, 80), "server1"); // room again, but in order behind the first
        assertThat(sent).containsExactly("handshake 1");
        assertThat(keeper.deferred()).isEqualTo(2);
        assertThat(background).as("the background could overtake the batch's handshake").isEmpty();

        full = true;
        assertThat(keeper.sendDue()).as("tried again soon").isEqualTo(PacketThreadKeeper.DEFERRED_RETRY_NANOS);
        full = false;
        assertThat(keeper.sendDue()).isEqualTo(-1);
        assertThat(sent).containsExactly("handshake 1", "remove 1", "remove 3");
        assertThat(keeper.deferred()).isZero();
    }

    @Test
    void removalsWaitingForRoomGoToTheBackgroundWhenTheConnectionCloses() {
        full = true;
        keeper.delete(new FlowKey(0xC6120002, 1, 80), "server1");
        open = false; // broken: it failed what it held, so nothing on it can be overtaken
        keeper.sendDue();
        assertThat(background).containsExactly("remove 1");
        assertThat(keeper.deferred()).isZero();
    }

    @Test
    void aRefusedRecordIsReported() {
        keeper.delete(new FlowKey(0xC6120002, 9, 80), "server1");
        answers.get(0).completeExceptionally(new StoreUnavailableException("Redis: gone", null));
        assertThat(failures).containsExactly("9: Redis: gone");
    }
}
