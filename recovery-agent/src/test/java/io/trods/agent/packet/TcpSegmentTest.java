package io.trods.agent.packet;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TcpSegmentTest {

    private final TcpSegment segment = new TcpSegment();
    private final TcpOptions options = new TcpOptions();

    @Test
    void readsTheFieldsOfARequestSegmentAtAnOffset() {
        byte[] packet = Packets.segment().seq(0xFFFF_FFF0).ack(12345).flags(TcpSegment.ACK | TcpSegment.PSH)
                .payload("GET / HTTP/1.1\r\n\r\n").build();
        byte[] buffer = Packets.embedded(packet, 13);

        assertThat(segment.wrap(buffer, 13, packet.length)).isTrue();

        assertThat(TcpSegment.address(segment.srcAddress())).isEqualTo("198.18.0.2");
        assertThat(TcpSegment.address(segment.dstAddress())).isEqualTo("198.19.0.11");
        assertThat(segment.srcPort()).isEqualTo(40000);
        assertThat(segment.dstPort()).isEqualTo(80);
        assertThat(segment.seq()).isEqualTo(0xFFFF_FFF0);
        assertThat(segment.ack()).isEqualTo(12345);
        assertThat(segment.has(TcpSegment.PSH)).isTrue();
        assertThat(segment.has(TcpSegment.SYN)).isFalse();
        assertThat(segment.payloadLength()).isEqualTo(18);
        assertThat(buffer[segment.payloadOffset()]).isEqualTo((byte) 'G');
        // The request wraps around 2^32: its end is a small number, after its start.
        assertThat(segment.seqEnd()).isEqualTo(2);
        assertThat(SeqNum.after(segment.seqEnd(), segment.seq())).isTrue();
        assertThat(segment.checksum()).isEqualTo(segment.computeChecksum());
    }

    @Test
    void readsTheHandshakeOptionsOfALinuxSyn() {
        byte[] syn = Packets.segment().flags(TcpSegment.SYN).linuxSynOptions(0xCAFEBABE).build();

        assertThat(segment.wrap(syn, 0, syn.length)).isTrue();
        assertThat(options.parse(segment)).isTrue();

        assertThat(options.mss).isEqualTo(1460);
        assertThat(options.windowScale).isEqualTo(7);
        assertThat(options.sackPermitted).isTrue();
        assertThat(options.hasTimestamp).isTrue();
        assertThat(options.tsVal).isEqualTo(0xCAFEBABE);
        assertThat(options.tsEcr).isZero();
        assertThat(segment.seqEnd()).isEqualTo(segment.seq() + 1);
    }

    @Test
    void aSegmentWithoutOptionsHasNone() {
        byte[] p = Packets.segment().build();
        segment.wrap(p, 0, p.length);
        assertThat(options.parse(segment)).isTrue();
        assertThat(options.mss).isEqualTo(-1);
        assertThat(options.windowScale).isEqualTo(-1);
        assertThat(options.hasTimestamp).isFalse();
    }

    @Test
    void aWindowScaleAbove14CountsAs14() {
        byte[] p = Packets.segment().flags(TcpSegment.SYN).options(3, 3, 15, 0).build();
        segment.wrap(p, 0, p.length);
        assertThat(options.parse(segment)).isTrue();
        assertThat(options.windowScale).isEqualTo(14);
    }

    @Test
    void malformedOptionListsAreRejected() {
        int[][] bad = {
            {2, 3, 5, 0},          // MSS with length 3
            {8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, // timestamp with length 12
            {30, 9, 0, 0},         // unknown option running past the header
            {1, 1, 1, 30},         // kind without a length byte at the end
            {5, 7, 0, 0, 0, 0, 0, 0}, // SACK with a partial block
            {30, 1, 0, 0},         // length below 2
        };
        for (int[] opts : bad) {
            byte[] p = Packets.segment().options(opts).build();
            assertThat(segment.wrap(p, 0, p.length)).isTrue();
            assertThat(options.parse(segment)).as(java.util.Arrays.toString(opts)).isFalse();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"truncated", "ipv6", "udp", "fragment", "more-fragments", "short-ihl",
        "doff-too-small", "doff-past-end", "total-length-past-buffer"})
    void packetsThisViewCannotAccountForAreRefused(String defect) {
        byte[] p = Packets.segment().payload("abcdefgh").build();
        int length = p.length;
        switch (defect) {
            case "truncated" -> length = 39;
            case "ipv6" -> p[0] = 0x65;
            case "udp" -> p[9] = 17;
            case "fragment" -> p[7] = 8;
            case "more-fragments" -> p[6] = 0x20;
            case "short-ihl" -> p[0] = 0x44;
            case "doff-too-small" -> p[32] = 0x40;
            case "doff-past-end" -> p[32] = (byte) 0xF0;
            case "total-length-past-buffer" -> Bytes.put16(p, 2, p.length + 1);
            default -> throw new IllegalArgumentException(defect);
        }
        assertThat(segment.wrap(p, 0, length)).isFalse();
    }

    @Test
    void rewritingTheAckKeepsTheChecksumRight() {
        for (int ack : new int[] {0, 1, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1234_5678}) {
            byte[] p = Packets.segment().ack(0xDEAD_BEEF).payload("HTTP/1.1 200 OK\r\n").build();
            segment.wrap(p, 0, p.length);

            segment.setAck(ack, false);

            assertThat(segment.ack()).isEqualTo(ack);
            assertThat(segment.checksum()).as("ack %08x", ack).isEqualTo(segment.computeChecksum());
        }
    }

    @Test
    void rewritingWindowAndTimestampKeepsTheChecksumRight() {
        byte[] p = Packets.segment().linuxSynOptions(77).flags(TcpSegment.ACK).build();
        segment.wrap(p, 0, p.length);
        options.parse(segment);

        segment.setWindow(0, false);
        segment.setTsVal(options.tsValOffset, 0x9000_0001, false);

        assertThat(segment.window()).isZero();
        options.parse(segment);
        assertThat(options.tsVal).isEqualTo(0x9000_0001);
        assertThat(segment.checksum()).isEqualTo(segment.computeChecksum());
    }

    @Test
    void removingASackOptionKeepsTheChecksumRight() {
        // NOP NOP TS(10) NOP NOP SACK(2 blocks, 18): Linux's layout of an ACK with SACK blocks.
        int[] opts = {1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 7, 1, 1, 5, 18,
            0, 0, 1, 0, 0, 0, 2, 0, 0xAB, 0xCD, 0xEF, 0x01, 0x12, 0x34, 0x56, 0x78};
        byte[] p = Packets.segment().options(opts).build();
        segment.wrap(p, 0, p.length);
        options.parse(segment);
        assertThat(options.sackBlocks).isEqualTo(2);

        segment.nopOut(options.sackOffset, options.sackLength, false);

        assertThat(segment.checksum()).isEqualTo(segment.computeChecksum());
        assertThat(options.parse(segment)).isTrue();
        assertThat(options.sackBlocks).isZero();
        assertThat(options.tsVal).isEqualTo(9); // the timestamp is untouched
        // At an odd offset, too.
        byte[] odd = Packets.segment().options(1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 0).build();
        segment.wrap(odd, 0, odd.length);
        options.parse(segment);
        segment.nopOut(options.sackOffset, options.sackLength, false);
        assertThat(segment.checksum()).isEqualTo(segment.computeChecksum());
    }

    @Test
    void aPartialChecksumIsLeftForTheKernelToFinish() {
        byte[] p = Packets.segment().ack(5).build();
        segment.wrap(p, 0, p.length);
        int before = segment.checksum();

        segment.setAck(6, true);

        assertThat(segment.ack()).isEqualTo(6);
        assertThat(segment.checksum()).isEqualTo(before);
        segment.finishChecksum(); // what a non-GSO packet handed back to the kernel needs
        assertThat(segment.checksum()).isEqualTo(segment.computeChecksum()).isNotEqualTo(before);
    }

    @Test
    void sequenceComparisonsWrapAround() {
        assertThat(SeqNum.before(0xFFFF_FFFF, 0)).isTrue();
        assertThat(SeqNum.after(5, 0xFFFF_FFF0)).isTrue();
        assertThat(SeqNum.diff(3, 0xFFFF_FFFE)).isEqualTo(5);
        assertThat(SeqNum.max(2, 0xFFFF_FFF0)).isEqualTo(2);
        assertThat(SeqNum.beforeOrEqual(7, 7)).isTrue();
        assertThat(SeqNum.unsigned(-1)).isEqualTo(4294967295L);
    }
}
