package io.trods.agent.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RespTest {

    private final Resp.Reply reply = new Resp.Reply();

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void writesACommandAsAnArrayOfBulkStrings() {
        byte[] out = new byte[128];
        int end = Resp.command(out, 3, Resp.ascii("SET"), bytes("k\r\n"), new byte[0], Resp.decimal(3_600_000));

        assertThat(new String(out, 3, end - 3, StandardCharsets.ISO_8859_1))
                .isEqualTo("*4\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$0\r\n\r\n$7\r\n3600000\r\n");
    }

    @Test
    void aCommandThatDoesNotFitIsNotWritten() {
        byte[] out = new byte[20];
        assertThat(Resp.command(out, 0, Resp.ascii("SET"), bytes("key"), bytes("value"))).isEqualTo(-1);
        assertThat(out).containsOnly(0);
        byte[] exact = new byte[Resp.command(new byte[64], 0, bytes("PING"))];
        assertThat(Resp.command(exact, 0, bytes("PING"))).isEqualTo(exact.length);
    }

    @Test
    void parsesTheAnswersOfOurCommandsOneAfterTheOther() {
        byte[] in = bytes("+OK\r\n:1\r\n-WRONGTYPE Operation against a key\r\n$3\r\nabc\r\n$-1\r\n:-2\r\n");
        int at = 0;
        StringBuilder kinds = new StringBuilder();
        while (at < in.length) {
            at = Resp.reply(in, at, in.length, reply);
            kinds.append(reply.kind).append(reply.error == null ? "" : "(" + reply.error + ")").append(' ');
        }
        assertThat(kinds.toString().trim())
                .isEqualTo("OK INTEGER ERROR(WRONGTYPE Operation against a key) BULK BULK INTEGER");
    }

    @Test
    void anIntegerAnswerKeepsItsValue() {
        byte[] in = bytes(":2\r\n:-1\r\n+OK\r\n");
        int at = Resp.reply(in, 0, in.length, reply);
        assertThat(reply.integer).as("WAIT's count of replicas").isEqualTo(2);
        at = Resp.reply(in, at, in.length, reply);
        assertThat(reply.integer).isEqualTo(-1);
        Resp.reply(in, at, in.length, reply);
        assertThat(reply.integer).as("not carried over to another kind").isZero();
    }

    @Test
    void aBulkStringsBytesAreFoundInPlace() {
        byte[] in = bytes(":5\r\n$4\r\nab\r\n\r\n$-1\r\n");
        int at = Resp.reply(in, 0, in.length, reply);
        assertThat(reply.valueOffset).as("no value for an integer").isEqualTo(-1);
        at = Resp.reply(in, at, in.length, reply);
        assertThat(new String(in, reply.valueOffset, reply.valueLength, StandardCharsets.ISO_8859_1)).isEqualTo("ab\r\n");
        Resp.reply(in, at, in.length, reply);
        assertThat(reply.kind).isEqualTo(Resp.Kind.BULK);
        assertThat(reply.valueOffset).as("null").isEqualTo(-1);
    }

    @Test
    void anIncompleteAnswerWaitsForMoreBytes() {
        for (String partial : new String[] {"", "+O", "+OK\r", ":12", "$3\r\nab", "$3\r\nabc\r"}) {
            byte[] in = bytes(partial);
            assertThat(Resp.reply(in, 0, in.length, reply)).as(partial).isEqualTo(-1);
        }
    }

    @Test
    void anythingElseIsRefused() {
        for (String bad : new String[] {"*1\r\n+OK\r\n", "%1\r\n", ":x\r\n", "+OK\rX", "$3\r\nabcXY", "$\r\n"}) {
            byte[] in = bytes(bad);
            assertThatThrownBy(() -> Resp.reply(in, 0, in.length, reply)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
        byte[] endless = new byte[600];
        endless[0] = '+';
        java.util.Arrays.fill(endless, 1, endless.length, (byte) 'a');
        assertThatThrownBy(() -> Resp.reply(endless, 0, endless.length, reply)).hasMessageContaining("512");
    }
}
