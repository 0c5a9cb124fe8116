package io.trods.agent.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.trods.agent.flow.FlowKey;
import io.trods.agent.flow.FlowRecord;
import io.trods.agent.flow.InMemoryFlowStore;
import io.trods.agent.packet.TcpOptions;
import io.trods.agent.packet.TcpSegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PrompterTest {

    static final int VIP = 0xC612000A;

    /** The store of each test, and the ports {@link #followingUp}'s prompter prompted, in order. */
    final InMemoryFlowStore store = new InMemoryFlowStore();
    final List<Integer> sent = java.util.Collections.synchronizedList(new ArrayList<>());
    final java.util.concurrent.ScheduledExecutorService followUps =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stopFollowUps() {
        followUps.shutdownNow();
    }

    @Test
    void promptsEachClientOfTheFailedServerOnceWithAnOldSequenceNumberFromTheVip() {
        for (int port = 40000; port < 40150; port++) {
            store.save(new FlowRecord(new FlowKey(0xC6120002, port, 80), "server1", 1460, 7, 7, true, true, 1000,
                    new byte[10], 5000, new byte[20], 0));
        }
        store.save(new FlowRecord(new FlowKey(0xC6120003, 1, 80), "server2", 1460, 7, 7, true, true, 1, new byte[1], 2,
                new byte[1], 0));
        List<byte[]> sent = new ArrayList<>();
        Prompter prompter = new Prompter(store, (segment, length, destination) -> sent.add(Arrays.copyOf(segment, length)),
                VIP, 80, 100_000, (server, count) -> { });

        assertThat(prompter.promptClientsOf("server1")).isEqualTo(150);
        assertThat(prompter.promptClientsOf("server1")).as("claimed: not prompted twice").isZero();

        assertThat(sent).hasSize(150);
        TcpSegment s = new TcpSegment();
        TcpOptions o = new TcpOptions();
        List<Integer> ports = new ArrayList<>();
        for (byte[] p : sent) {
            assertThat(s.wrap(p, 0, p.length)).isTrue();
            assertThat(s.srcAddress()).isEqualTo(VIP);
            assertThat(s.srcPort()).isEqualTo(80);
            assertThat(s.dstAddress()).isEqualTo(0xC6120002);
            assertThat(s.seq()).as("old: before the response, outside the client's window").isEqualTo(4999);
            assertThat(s.checksum()).isEqualTo(s.computeChecksum());
            assertThat(o.parse(s)).isTrue();
            assertThat(o.hasTimestamp).isFalse();
            ports.add(s.dstPort());
        }
        assertThat(ports).doesNotHaveDuplicates();
        assertThat(store.index.get("server2")).hasSize(1); // other servers' flows are left alone
    }

    @Test
    void isRateLimited() {
        for (int port = 1; port <= 30; port++) {
            store.save(new FlowRecord(new FlowKey(1, port, 80), "s", 1460, 7, 7, true, true, 1, new byte[1], 2,
                    new byte[1], 0));
        }
        Prompter prompter = new Prompter(store, (segment, length, destination) -> { }, VIP, 80, 100, (a, b) -> { });
        long start = System.nanoTime();
        prompter.promptClientsOf("s");
        // 30 prompts at 100/s take at least 0.29 s (no upper bound: this machine may be slow).
        assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(280);
    }

    /** A prompter of those flows with follow-ups every 50 ms, two rounds at most. */
    Prompter followingUp() {
        for (int port = 1; port <= 3; port++) {
            store.save(new FlowRecord(new FlowKey(1, port, 80), "s", 1460, 7, 7, true, true, 1, new byte[1], 2,
                    new byte[1], 0));
        }
        TcpSegment s = new TcpSegment();
        return new Prompter(store, (segment, length, destination) -> {
            s.wrap(segment, 0, length);
            sent.add(s.dstPort());
        }, VIP, 80, 100_000, (a, b) -> { }, followUps, 50, 50, 2);
    }

    @Test
    void followUpsComeLaterEachRoundUpToTheirLongestDelay() {
        Prompter prompter = new Prompter(store, (segment, length, destination) -> { }, VIP, 80, 100, (a, b) -> { },
                followUps, 1000, 4000, 9);
        assertThat(java.util.stream.IntStream.rangeClosed(1, 9).mapToLong(prompter::followUpDelayMillis).toArray())
                .containsExactly(1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000);
        assertThat(prompter.followUpDelayMillis(64)).as("no overflow in a long run").isEqualTo(4000);
    }

    @Test
    void aClaimThatRedisFailedIsTriedAgainAndItsFlowsArePromptedThen() throws Exception {
        Prompter prompter = followingUp();
        store.down = true; // Redis does not answer as the server dies
        assertThat(prompter.promptClientsOf("s")).isZero();
        assertThat(sent).isEmpty();
        store.down = false;
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (sent.size() < 3 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        // (follow-ups of them may come after: those flows are still carried by the failed server)
        assertThat(sent.subList(0, 3)).as("claimed and prompted on the second try").containsExactlyInAnyOrder(1, 2, 3);
        assertThat(store.index.get("s")).isEmpty();
    }

    @Test
    void promptsAgainTheFlowsThatNoSurvivorTookOverUntilTheRoundsAreSpent() throws Exception {
        Prompter prompter = followingUp();
        assertThat(prompter.promptClientsOf("s")).isEqualTo(3);
        // Port 1 is taken over by a survivor (re-indexed under it), port 2 ends; port 3 stays.
        FlowRecord one = store.find(new FlowKey(1, 1, 80)).orElseThrow();
        store.moved(one.carriedBy("survivor", 5), "s");
        store.delete(new FlowKey(1, 2, 80), "s");
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (sent.size() < 5 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        Thread.sleep(200); // no third follow-up: the rounds are spent
        assertThat(sent).hasSize(5);
        assertThat(sent.subList(0, 3)).containsExactlyInAnyOrder(1, 2, 3);
        assertThat(sent.subList(3, 5)).as("two follow-ups, for the flow still carried by the failed server")
                .containsExactly(3, 3);
    }
}
