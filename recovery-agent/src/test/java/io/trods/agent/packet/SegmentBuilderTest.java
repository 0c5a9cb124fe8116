package io.trods.agent.packet;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SegmentBuilderTest {

    @Test
    void buildsAnAckWithTimestampsAndValidChecksums() {
        byte[] out = new byte[64];
        int length = SegmentBuilder.ack(out, 0xC613000B, 80, 0xC6120002, 40000, 0xFFFF_FFFF, 1234, 502, true,
                0x8000_0000, 77);

        TcpSegment s = new TcpSegment();
        assertThat(s.wrap(out, 0, length)).isTrue();
        assertThat(length).isEqualTo(52);
        assertThat(s.srcPort()).isEqualTo(80);
        assertThat(s.dstPort()).isEqualTo(40000);
        assertThat(s.seq()).isEqualTo(0xFFFF_FFFF);
        assertThat(s.ack()).isEqualTo(1234);
        assertThat(s.flags()).isEqualTo(TcpSegment.ACK);
        assertThat(s.window()).isEqualTo(502);
        assertThat(s.payloadLength()).isZero();
        assertThat(s.checksum()).isEqualTo(s.computeChecksum());
        assertThat(SegmentBuilder.ipChecksum(out)).isEqualTo(Bytes.u16(out, 10));
        TcpOptions o = new TcpOptions();
        assertThat(o.parse(s)).isTrue();
        assertThat(o.hasTimestamp).isTrue();
        assertThat(o.tsVal).isEqualTo(0x8000_0000);
        assertThat(o.tsEcr).isEqualTo(77);
    }

    @Test
    void buildsAPromptWithoutOptions() {
        byte[] out = new byte[64];
        int length = SegmentBuilder.ack(out, 1, 80, 2, 3, 4, 5, 0, false, 0, 0);
        TcpSegment s = new TcpSegment();
        assertThat(s.wrap(out, 0, length)).isTrue();
        assertThat(s.tcpHeaderLength()).isEqualTo(20);
        assertThat(s.checksum()).isEqualTo(s.computeChecksum());
    }
}
