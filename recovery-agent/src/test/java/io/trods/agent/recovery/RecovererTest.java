package io.trods.agent.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.trods.agent.engine.EngineListener;
import io.trods.agent.engine.FlowEngine;
import io.trods.agent.flow.FlowKey;
import io.trods.agent.flow.InMemoryFlowStore;
import io.trods.agent.packet.TcpSegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Unknown packets without a record must stay cheap: the kernel answers them, a miss is remembered,
 * lookups are rate-limited. (Recovery with a record needs TCP_REPAIR: RecoveryIT covers it.)
 */
class RecovererTest {

    final InMemoryFlowStore store = new InMemoryFlowStore();
    final FlowEngine engine = new FlowEngine(store, "server2", 100, System::nanoTime, () -> 0L, new EngineListener() {
    });
    final AtomicLong clock = new AtomicLong(1_000_000_000L);
    final List<Recoverer.Outcome> outcomes = new ArrayList<>();
    final TcpSegment seg = new TcpSegment();

    Recoverer recoverer(int lookupsPerSecond) {
        return new Recoverer(store, engine, "server2", Executors.newSingleThreadExecutor(), null,
                (key, outcome, nanos) -> outcomes.add(outcome), clock::get, lookupsPerSecond, 2000, LookupRetries.NONE);
    }

    TcpSegment packet(int clientPort, int flags) {
        ByteBuffer p = ByteBuffer.allocate(40);
        p.put((byte) 0x45).put((byte) 0).putShort((short) 40).putInt(0).put((byte) 64).put((byte) 6).putShort((short) 0)
                .putInt(0xC6120002).putInt(0xC613000C).putShort((short) clientPort).putShort((short) 80)
                .putInt(1000).putInt(2000).put((byte) 0x50).put((byte) flags).putShort((short) 100).putInt(0);
        seg.wrap(p.array(), 0, 40);
        return seg;
    }

    @Test
    void aPacketWithoutRecordIsLeftToTheKernelAndItsMissIsRemembered() {
        Recoverer r = recoverer(1000);

        assertThat(r.onUnknownFlow(packet(40000, TcpSegment.ACK))).isEqualTo(Recoverer.ACCEPT);
        assertThat(r.onUnknownFlow(packet(40000, TcpSegment.ACK))).isEqualTo(Recoverer.ACCEPT);
        clock.addAndGet(2_100_000_000L); // the memory of a miss lasts two seconds
        assertThat(r.onUnknownFlow(packet(40000, TcpSegment.ACK))).isEqualTo(Recoverer.ACCEPT);

        assertThat(outcomes).containsExactly(Recoverer.Outcome.NO_RECORD, Recoverer.Outcome.REMEMBERED_MISS,
                Recoverer.Outcome.NO_RECORD);
        assertThat(store.log).hasSize(2);
    }

    @Test
    void aFloodOfUnknownPacketsCostsAtMostTheLookupRate() {
        Recoverer r = recoverer(100); // a burst of 10, then 100 per second
        for (int port = 1; port <= 1000; port++) {
            assertThat(r.onUnknownFlow(packet(port, TcpSegment.ACK))).isEqualTo(Recoverer.ACCEPT);
        }
        assertThat(store.log).as("store lookups").hasSize(10);
        clock.addAndGet(500_000_000L); // half a second: 50 more tokens, capped at the burst of 10
        for (int port = 1001; port <= 2000; port++) {
            r.onUnknownFlow(packet(port, TcpSegment.ACK));
        }
        assertThat(store.log).hasSize(20);
        assertThat(outcomes.stream().filter(o -> o == Recoverer.Outcome.RATE_LIMITED).count()).isEqualTo(1980);
    }

    @Test
    void synsResetsAndPacketsWithoutAckNeverReachTheStore() {
        Recoverer r = recoverer(1000);
        assertThat(r.onUnknownFlow(packet(1, TcpSegment.SYN))).isEqualTo(Recoverer.ACCEPT);
        assertThat(r.onUnknownFlow(packet(2, TcpSegment.RST | TcpSegment.ACK))).isEqualTo(Recoverer.ACCEPT);
        assertThat(r.onUnknownFlow(packet(3, TcpSegment.PSH))).isEqualTo(Recoverer.ACCEPT);
        assertThat(store.log).isEmpty();
    }

    @Test
    void aStoreOutageLeavesThePacketToTheKernel() {
        store.down = true;
        assertThat(recoverer(1000).onUnknownFlow(packet(40000, TcpSegment.ACK))).isEqualTo(Recoverer.ACCEPT);
        assertThat(outcomes).containsExactly(Recoverer.Outcome.STORE_UNAVAILABLE);
    }

    /** The web server gave the connection up (its socket is gone): the client's end still ends the flow. */
    @Test
    void aFinOrResetOfATrackedFlowThatLandsHereEndsItInTheEngine() {
        Recoverer r = recoverer(1000);
        FlowKey fin = new FlowKey(0xC6120002, 40001, 80);
        FlowKey reset = new FlowKey(0xC6120002, 40002, 80);
        engine.adopt(io.trods.agent.engine.RecoveryPlanFixtures.plan(fin));
        engine.adopt(io.trods.agent.engine.RecoveryPlanFixtures.plan(reset));

        assertThat(r.onUnknownFlow(packet(40001, TcpSegment.FIN | TcpSegment.ACK))).isEqualTo(Recoverer.ACCEPT);
        assertThat(r.onUnknownFlow(packet(40002, TcpSegment.RST))).isEqualTo(Recoverer.ACCEPT);

        assertThat(engine.tracks(fin)).isFalse();
        assertThat(engine.tracks(reset)).isFalse();
        assertThat(engine.trackedFlows()).isZero();
        // An end of a flow nobody tracks costs nothing more than before: no lookup.
        assertThat(r.onUnknownFlow(packet(40003, TcpSegment.RST))).isEqualTo(Recoverer.ACCEPT);
        assertThat(store.log).noneMatch(l -> l.startsWith("find"));
    }

    @Test
    void aFlowAlreadyRecoveredIsLeftToItsNewSocket() {
        Recoverer r = recoverer(1000);
        FlowKey key = new FlowKey(0xC6120002, 40000, 80);
        engine.adopt(io.trods.agent.engine.RecoveryPlanFixtures.plan(key));

        assertThat(r.onUnknownFlow(packet(40000, TcpSegment.ACK))).isEqualTo(Recoverer.ACCEPT);

        assertThat(outcomes).containsExactly(Recoverer.Outcome.ALREADY_RECOVERED);
        assertThat(store.log).isEmpty();
    }
}
