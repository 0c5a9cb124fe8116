package io.trods.agent.datapath;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PacketIdGapsTest {

    @Test
    void countsTheIdsSkippedBetweenTwoDeliveredPackets() {
        PacketIdGaps gaps = new PacketIdGaps();
        gaps.received(5); // the first one seen: nothing before it is counted
        gaps.received(6);
        gaps.received(9); // 7 and 8 were let through without us
        assertThat(gaps.missed()).isEqualTo(2);
    }

    @Test
    void anIdAlreadyPassedIsNotAGap() {
        PacketIdGaps gaps = new PacketIdGaps();
        gaps.received(10);
        gaps.received(4); // a queue re-bound after a restart starts again
        gaps.received(5);
        assertThat(gaps.missed()).isZero();
    }

    @Test
    void wrapsPastTheTopOfTheSequence() {
        PacketIdGaps gaps = new PacketIdGaps();
        gaps.received(0xFFFF_FFFE);
        gaps.received(0xFFFF_FFFF);
        gaps.received(1); // 0 is never assigned: no gap
        gaps.received(3);
        assertThat(gaps.missed()).isEqualTo(1);
    }
}
