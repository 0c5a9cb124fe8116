package io.trods.agent.flow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FlowRecordCodecTest {

    static FlowRecord sample() {
        return new FlowRecord(new FlowKey(0xC6120002, 40000, 80), "server1", 1460, 7, 9, true, true,
                0xFFFF_FFF0, "GET /obj/64M.bin HTTP/1.1\r\nHost: v\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1),
                0x7000_0001, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: \"e\"\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1),
                1_795_706_213_755L);
    }

    @Test
    void roundTrips() {
        FlowRecord record = sample();
        assertThat(FlowRecordCodec.decode(FlowRecordCodec.encode(record))).isEqualTo(record);
        FlowRecord noOptions = new FlowRecord(record.key(), "s", -1, -1, -1, false, false, 1, new byte[0], 2,
                new byte[0], 0);
        assertThat(FlowRecordCodec.decode(FlowRecordCodec.encode(noOptions))).isEqualTo(noOptions);
    }

    @Test
    void derivesTheSequenceNumbersRecoveryNeeds() {
        FlowRecord record = sample();
        // The request wraps around 2^32.
        assertThat(record.requestEnd()).isEqualTo(0xFFFF_FFF0 + record.request().length);
        assertThat(Integer.toUnsignedLong(record.requestEnd())).isLessThan(0xFFFF_FFF0L);
        assertThat(record.objectIsn()).isEqualTo(0x7000_0001 + record.responseHead().length);
    }

    @Test
    void refusesWhatItCannotReadWhole() {
        byte[] good = FlowRecordCodec.encode(sample());
        assertThatThrownBy(() -> FlowRecordCodec.decode(Arrays.copyOf(good, good.length - 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("truncated");
        byte[] longer = Arrays.copyOf(good, good.length + 1);
        assertThatThrownBy(() -> FlowRecordCodec.decode(longer)).hasMessageContaining("trailing");
        byte[] future = good.clone();
        future[2] = 2;
        assertThatThrownBy(() -> FlowRecordCodec.decode(future)).hasMessageContaining("version 2");
        assertThatThrownBy(() -> FlowRecordCodec.decode("garbage".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("not a TRODS flow record");
        byte[] huge = good.clone();
        int requestLengthAt = 2 + 1 + 4 + 2 + 2 + 2 + "server1".length() + 4 + 3 + 4;
        huge[requestLengthAt] = 0x7F;
        assertThatThrownBy(() -> FlowRecordCodec.decode(huge)).hasMessageContaining("bytes in a flow record");
    }

    @Test
    void keysAreReadableAndPackWithoutCollisions() {
        FlowKey key = new FlowKey(0xC6120002, 40000, 80);
        assertThat(key.storageKey()).isEqualTo("trods:flow:198.18.0.2:40000:80");
        assertThat(key.packed()).isNotEqualTo(new FlowKey(0xC6120002, 40001, 80).packed())
                .isNotEqualTo(new FlowKey(0xC6120003, 40000, 80).packed());
        assertThatThrownBy(() -> new FlowKey(1, 70000, 80)).isInstanceOf(IllegalArgumentException.class);
    }
}
