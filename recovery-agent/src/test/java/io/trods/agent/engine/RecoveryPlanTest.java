package io.trods.agent.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trods.agent.flow.FlowKey;
import io.trods.agent.flow.FlowRecord;
import io.trods.agent.packet.TcpOptions;
import io.trods.agent.packet.TcpSegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RecoveryPlanTest {

    static final String REQUEST = "GET /obj/64M.bin HTTP/1.1\r\nHost: 198.18.0.10\r\n\r\n";
    static final String HEAD = "HTTP/1.1 200 OK\r\nContent-Length: 67108864\r\nETag: \"6b-4\"\r\n\r\n";
    static final int REQUEST_START = 0xFFFF_FFF0;
    static final int RESPONSE_START = 0x7FFF_FF00;

    final TcpSegment seg = new TcpSegment();
    final TcpOptions options = new TcpOptions();

    static FlowRecord record(String request, String head, boolean timestamps) {
        return new FlowRecord(new FlowKey(0xC6120002, 40000, 80), "server1", 1460, 7, 7, true, timestamps,
                REQUEST_START, request.getBytes(StandardCharsets.ISO_8859_1), RESPONSE_START,
                head.getBytes(StandardCharsets.ISO_8859_1), 1L);
    }

    /** The client's duplicate ACK (or withheld byte), with a timestamp option. */
    void clientPacket(int seq, int ack, boolean ackFlag, boolean timestamp, int tsVal, int tsEcr) {
        ByteBuffer p = ByteBuffer.allocate(timestamp ? 52 : 40);
        p.put((byte) 0x45).put((byte) 0).putShort((short) p.capacity()).putInt(0).put((byte) 64).put((byte) 6)
                .putShort((short) 0).putInt(0xC6120002).putInt(0xC613000C);
        p.putShort((short) 40000).putShort((short) 80).putInt(seq).putInt(ack)
                .put((byte) ((timestamp ? 32 : 20) / 4 << 4)).put((byte) (ackFlag ? TcpSegment.ACK : 0))
                .putShort((short) 1024).putInt(0);
        if (timestamp) {
            p.put((byte) 1).put((byte) 1).put((byte) 8).put((byte) 10).putInt(tsVal).putInt(tsEcr);
        }
        seg.wrap(p.array(), 0, p.capacity());
        options.parse(seg);
    }

    int objectIsn() {
        return RESPONSE_START + HEAD.length();
    }

    @Test
    void midDownloadTheOffsetIsTheClientsAckMinusObjectIsn() throws Exception {
        FlowRecord record = record(REQUEST, HEAD, true);
        clientPacket(record.requestEnd() - 1, objectIsn() + 1_000_000, true, true, 5000, 0x8000_0001);

        RecoveryPlan plan = RecoveryPlan.of(record, seg, options);

        assertThat(plan.sendSeq()).isEqualTo(objectIsn() + 1_000_000);
        assertThat(plan.recvSeq()).isEqualTo(REQUEST_START + REQUEST.length());
        assertThat(plan.first()).isEqualTo(1_000_000);
        assertThat(plan.last()).isEqualTo(67108863);
        assertThat(plan.remaining()).isEqualTo(67108864 - 1_000_000);
        assertThat(plan.headToReplay()).isEmpty();
        assertThat(plan.validator()).isEqualTo("\"6b-4\"");
        assertThat(plan.target()).isEqualTo("/obj/64M.bin");
        assertThat(plan.host()).isEqualTo("198.18.0.10");
        assertThat(plan.complete()).isEqualTo(67108864);
        assertThat(plan.tsVal()).as("just above the client's echo").isEqualTo(0x8000_0003);
        assertThat(plan.tsEcr()).isEqualTo(5000);
        assertThat(plan.peerWindow()).isEqualTo(1024);
    }

    @Test
    void aClientThatLacksPartOfTheHeadGetsTheSavedHeadReplayed() throws Exception {
        FlowRecord record = record(REQUEST, HEAD, true);
        clientPacket(record.requestEnd() - 1, RESPONSE_START + 10, true, true, 1, 2);

        RecoveryPlan plan = RecoveryPlan.of(record, seg, options);

        assertThat(new String(plan.headToReplay(), StandardCharsets.ISO_8859_1)).isEqualTo(HEAD.substring(10));
        assertThat(plan.first()).isZero();
    }

    @Test
    void aRangeRequestContinuesWithinItsRange() throws Exception {
        String head = "HTTP/1.1 206 Partial Content\r\nContent-Length: 1000\r\nETag: \"e\"\r\n"
                + "Content-Range: bytes 5000-5999/10000\r\n\r\n";
        FlowRecord record = record("GET /o HTTP/1.1\r\nRange: bytes=5000-5999\r\n\r\n", head, false);
        clientPacket(record.requestEnd() - 1, RESPONSE_START + head.length() + 250, true, false, 0, 0);

        RecoveryPlan plan = RecoveryPlan.of(record, seg, options);

        assertThat(plan.first()).isEqualTo(5250);
        assertThat(plan.last()).isEqualTo(5999);
        assertThat(plan.complete()).isEqualTo(10000);
        assertThat(plan.tsVal()).isZero();
    }

    @Test
    void refusesWhatDoesNotAddUp() {
        FlowRecord record = record(REQUEST, HEAD, true);
        int bodyEnd = objectIsn() + 67108864;
        clientPacket(1, RESPONSE_START - 1, true, true, 1, 1);
        assertThatThrownBy(() -> RecoveryPlan.of(record, seg, options)).hasMessageContaining("outside");
        clientPacket(1, bodyEnd + 1, true, true, 1, 1);
        assertThatThrownBy(() -> RecoveryPlan.of(record, seg, options)).hasMessageContaining("outside");
        clientPacket(1, bodyEnd, true, true, 1, 1);
        assertThatThrownBy(() -> RecoveryPlan.of(record, seg, options)).hasMessageContaining("whole response");
        clientPacket(1, objectIsn(), false, true, 1, 1);
        assertThatThrownBy(() -> RecoveryPlan.of(record, seg, options)).hasMessageContaining("acknowledges nothing");
        clientPacket(1, objectIsn(), true, false, 1, 1);
        assertThatThrownBy(() -> RecoveryPlan.of(record, seg, options)).hasMessageContaining("no");
        clientPacket(1, objectIsn(), true, true, 1, 1);
        assertThatThrownBy(() -> RecoveryPlan.of(record(REQUEST, "HTTP/1.1 200 OK\r\n", true), seg, options))
                .hasMessageContaining("incomplete");
        assertThatThrownBy(() -> RecoveryPlan.of(record(REQUEST, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n", true),
                seg, options)).hasMessageContaining("not recoverable");
    }
}
