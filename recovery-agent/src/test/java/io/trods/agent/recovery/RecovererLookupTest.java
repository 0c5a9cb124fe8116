package io.trods.agent.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.trods.agent.engine.EngineListener;
import io.trods.agent.engine.FlowEngine;
import io.trods.agent.engine.RecoveryPlanFixtures;
import io.trods.agent.flow.FlowKey;
import io.trods.agent.flow.FlowRecord;
import io.trods.agent.flow.InMemoryFlowStore;
import io.trods.agent.flow.StoreUnavailableException;
import io.trods.agent.kernel.KernelCallException;
import io.trods.agent.kernel.RepairSpec;
import io.trods.agent.packet.SegmentBuilder;
import io.trods.agent.packet.TcpSegment;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * The recoverer's decisions on unknown flows' packets, with the store's lookups answered late (the
 * packet thread must not wait for Redis) and the kernel's TCP_REPAIR replaced by a recorder that
 * refuses: what is asserted is which packets are held, when the store is asked, and the outcomes.
 * The recreation itself is tested against the kernel in TcpRepairIT and end to end in the lab.
 */
class RecovererLookupTest {

    static final int CLIENT = 0xC6120002;
    static final int SERVER = 0xC613000C;

    final InMemoryFlowStore store = new InMemoryFlowStore();
    final FlowEngine engine = new FlowEngine(store, "server2", 100, System::nanoTime, () -> 42L, new EngineListener() { });
    final List<String> outcomes = new ArrayList<>();
    final List<RepairSpec> recreated = new ArrayList<>();
    final long[] now = {1_000_000_000L};
    final TcpSegment seg = new TcpSegment();

    Recoverer recoverer(int lookupsPerSecond) {
        return recoverer(lookupsPerSecond, LookupRetries.NONE);
    }

    Recoverer recoverer(int lookupsPerSecond, LookupRetries retries) {
        return new Recoverer(store, engine, "server2", Executors.newSingleThreadExecutor(),
                new Splicer(new InetSocketAddress("127.0.0.1", 9), 100, 100, (plan, bytes, outcome) -> { }),
                (key, outcome, nanos) -> outcomes.add(key.clientPort() + " " + outcome), () -> now[0],
                lookupsPerSecond, 10_000, retries, spec -> {
                    recreated.add(spec);
                    throw new KernelCallException("no TCP_REPAIR in a unit test", 1);
                });
    }

    /** A client's ACK of the flow from {@code port}, acknowledging {@code ack}, with timestamps. */
    TcpSegment ack(int port, int ack) {
        byte[] packet = new byte[64];
        int length = SegmentBuilder.ack(packet, CLIENT, port, SERVER, 80, 1000 + 19, ack, 500, true, 777, 333);
        assertThat(seg.wrap(packet, 0, length)).isTrue();
        return seg;
    }

    FlowRecord saved(int port) {
        FlowRecord record = RecoveryPlanFixtures.plan(new FlowKey(CLIENT, port, 80)).record();
        store.save(record);
        return record;
    }

    @Test
    void holdsTheFlowsPacketsWhileItsLookupIsOnTheWireAndAsksTheStoreOnce() {
        Recoverer recoverer = recoverer(1000);
        FlowRecord record = saved(40001);
        CompletableFuture<Void> redis = new CompletableFuture<>();
        store.slowFind = redis;

        assertThat(recoverer.onUnknownFlow(ack(40001, record.responseStart() + 5))).isEqualTo(Recoverer.HOLD);
        long token = recoverer.heldUnder();
        assertThat(recoverer.pendingLookup(token)).isNotNull();
        assertThat(recoverer.onUnknownFlow(ack(40002, 1))).as("another flow: a lookup of its own").isEqualTo(Recoverer.HOLD);
        assertThat(recoverer.heldUnder()).isNotEqualTo(token);
        assertThat(recoverer.onUnknownFlow(ack(40001, record.responseStart() + 9)))
                .as("a second packet of the first flow waits for the same answer").isEqualTo(Recoverer.HOLD);
        assertThat(recoverer.heldUnder()).isEqualTo(token);
        assertThat(recoverer.pendingLookups()).isEqualTo(2);
        assertThat(outcomes).isEmpty();
        assertThat(recreated).isEmpty();

        redis.complete(null);
        recoverer.lookupSettled(token);
        // The held packets again, in order: the first uses the answer and tries to recreate.
        assertThat(recoverer.onUnknownFlow(ack(40001, record.responseStart() + 5))).isEqualTo(Recoverer.ACCEPT);
        assertThat(recreated).hasSize(1);
        assertThat(recreated.get(0).sendSeq()).as("from the client's position").isEqualTo(record.responseStart() + 5);
        assertThat(outcomes).containsExactly("40001 FAILED");
        assertThat(engine.tracks(new FlowKey(CLIENT, 40001, 80))).as("abandoned after the failure").isFalse();
        assertThat(store.log.stream().filter(l -> l.startsWith("find")).count()).as("one lookup per flow").isEqualTo(2);
    }

    @Test
    void aFlowWithoutARecordIsAnsweredByTheKernelAndRememberedSoThatItsNextPacketsCostNothing() {
        Recoverer recoverer = recoverer(1000);
        CompletableFuture<Void> redis = new CompletableFuture<>();
        store.slowFind = redis;

        assertThat(recoverer.onUnknownFlow(ack(40003, 5))).isEqualTo(Recoverer.HOLD);
        long token = recoverer.heldUnder();
        assertThat(recoverer.onUnknownFlow(ack(40003, 6))).isEqualTo(Recoverer.HOLD);
        redis.complete(null);
        recoverer.lookupSettled(token);
        assertThat(recoverer.onUnknownFlow(ack(40003, 5))).isEqualTo(Recoverer.ACCEPT);
        assertThat(recoverer.onUnknownFlow(ack(40003, 6))).isEqualTo(Recoverer.ACCEPT);
        assertThat(recoverer.onUnknownFlow(ack(40003, 7))).isEqualTo(Recoverer.ACCEPT);
        assertThat(outcomes).containsExactly("40003 NO_RECORD", "40003 REMEMBERED_MISS", "40003 REMEMBERED_MISS");
        assertThat(recoverer.pendingLookups()).isZero();
        assertThat(store.log.stream().filter(l -> l.startsWith("find")).count()).isEqualTo(1);
    }

    @Test
    void aFailedLookupLetsThePacketGoToTheKernel() {
        Recoverer recoverer = recoverer(1000);
        saved(40004);
        CompletableFuture<Void> redis = new CompletableFuture<>();
        store.slowFind = redis;

        assertThat(recoverer.onUnknownFlow(ack(40004, 5))).isEqualTo(Recoverer.HOLD);
        long token = recoverer.heldUnder();
        redis.completeExceptionally(new StoreUnavailableException("Redis: timed out", null));
        recoverer.lookupSettled(token);
        assertThat(recoverer.onUnknownFlow(ack(40004, 5))).isEqualTo(Recoverer.ACCEPT);
        assertThat(outcomes).containsExactly("40004 STORE_UNAVAILABLE");
        assertThat(recreated).isEmpty();
        assertThat(recoverer.pendingLookups()).isZero();
    }

    @Test
    void lookupsOnTheWireAreBoundedSoThatAStoreThatStopsAnsweringCannotMakeTheServerHoldAFlood() {
        Recoverer recoverer = recoverer(10); // burst 1, at most 10 on the wire
        store.slowFind = new CompletableFuture<>(); // never answers
        int held = 0;
        for (int port = 41000; port < 41100; port++) {
            if (recoverer.onUnknownFlow(ack(port, 5)) == Recoverer.HOLD) {
                held++;
            }
            now[0] += 100_000_000L; // 10 a second: the rate allows every one, the bound does not
        }
        assertThat(held).isEqualTo(10);
        assertThat(recoverer.pendingLookups()).isEqualTo(10);
        assertThat(outcomes).hasSize(90).allMatch(o -> o.endsWith("RATE_LIMITED"));
    }

    @Test
    void aLookupRedisDidNotAnswerDropsThePacketAndTheClientsNextOneAsksAgain() {
        LookupRetries retries = new LookupRetries(5_000_000_000L, 100);
        Recoverer recoverer = recoverer(1000, retries);
        FlowRecord record = saved(40006);
        CompletableFuture<Void> redis = new CompletableFuture<>();
        store.slowFind = redis;

        assertThat(recoverer.onUnknownFlow(ack(40006, record.responseStart() + 5))).isEqualTo(Recoverer.HOLD);
        redis.completeExceptionally(new StoreUnavailableException("Redis: timed out", null));
        recoverer.lookupSettled(recoverer.heldUnder());
        assertThat(recoverer.onUnknownFlow(ack(40006, record.responseStart() + 5)))
                .as("dropped: a reset would end a download that can still be recovered").isEqualTo(Recoverer.DROP);
        assertThat(retries.waiting()).isEqualTo(1);

        now[0] += 1_000_000_000L; // the client's next packet, Redis back
        store.slowFind = null;
        assertThat(recoverer.onUnknownFlow(ack(40006, record.responseStart() + 5))).isEqualTo(Recoverer.ACCEPT);
        assertThat(recreated).as("the second lookup found the record").hasSize(1);
        assertThat(outcomes).containsExactly("40006 RETRY_LATER", "40006 FAILED");
        assertThat(retries.waiting()).isZero();
    }

    @Test
    void whenRedisStaysDownTheKernelAnswersOnceTheWindowHasPassed() {
        LookupRetries retries = new LookupRetries(5_000_000_000L, 100);
        Recoverer recoverer = recoverer(1000, retries);
        saved(40007);
        store.slowFind = CompletableFuture.failedFuture(new StoreUnavailableException("Redis: connection refused", null));
        List<Integer> verdicts = new ArrayList<>();
        for (int i = 0; i < 7; i++) { // the client's packets a second apart
            verdicts.add(recoverer.onUnknownFlow(ack(40007, 5)));
            now[0] += 1_000_000_000L;
        }
        assertThat(verdicts).containsExactly(Recoverer.DROP, Recoverer.DROP, Recoverer.DROP, Recoverer.DROP,
                Recoverer.DROP, Recoverer.ACCEPT, Recoverer.DROP);
        assertThat(outcomes.get(5)).isEqualTo("40007 STORE_UNAVAILABLE");
        assertThat(recreated).isEmpty();
    }

    @Test
    void aFullWindowLetsTheKernelAnswerAtOnceAndExpiredFlowsMakeRoom() {
        LookupRetries retries = new LookupRetries(5_000_000_000L, 2);
        assertThat(retries.retryLater(1, now[0])).isTrue();
        assertThat(retries.retryLater(2, now[0])).isTrue();
        assertThat(retries.retryLater(3, now[0])).as("no room: the kernel answers").isFalse();
        assertThat(retries.retryLater(1, now[0] + 1)).as("flow 1 is still in its window").isTrue();
        assertThat(retries.retryLater(3, now[0] + 5_000_000_000L)).as("1 and 2 expired").isTrue();
        assertThat(retries.waiting()).isEqualTo(1);
        assertThat(LookupRetries.NONE.retryLater(4, now[0])).isFalse();
    }

    @Test
    void lookupsWaitingAtTheirBoundAreRetriedLaterButAFloodBeyondTheRateIsAnsweredByTheKernel() {
        Recoverer recoverer = recoverer(10, new LookupRetries(5_000_000_000L, 1000)); // burst 1, 10 on the wire
        store.slowFind = new CompletableFuture<>(); // never answers
        for (int port = 41000; port < 41020; port++) {
            recoverer.onUnknownFlow(ack(port, 5));
            now[0] += 100_000_000L;
        }
        assertThat(outcomes).as("the store is slow, not the clients").hasSize(10).allMatch(o -> o.endsWith("RETRY_LATER"));
        outcomes.clear();
        Recoverer flooded = recoverer(10, new LookupRetries(5_000_000_000L, 1000));
        store.slowFind = null;
        for (int port = 42000; port < 42020; port++) {
            flooded.onUnknownFlow(ack(port, 5)); // all at once: one token
        }
        assertThat(outcomes).hasSize(20).filteredOn(o -> o.endsWith("RATE_LIMITED")).hasSize(19);
    }

    @Test
    void anAnswerAtOnceNeedsNoHold() {
        Recoverer recoverer = recoverer(1000);
        FlowRecord record = saved(40005);
        assertThat(recoverer.onUnknownFlow(ack(40005, record.responseStart() + 1))).isEqualTo(Recoverer.ACCEPT);
        assertThat(recreated).hasSize(1);
        assertThat(recoverer.pendingLookups()).isZero();
    }
}
