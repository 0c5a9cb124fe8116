package io.trods.agent.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class NfqueueTest {

    private final NetlinkBuffer buf = new NetlinkBuffer(4096);
    private final QueuedPacket packet = new QueuedPacket();

    private String hex() {
        return HexFormat.of().formatHex(buf.array(), 0, buf.length());
    }

    @Test
    void writesABindCommandAsTheKernelExpectsIt() {
        Nfqueue.bind(buf.clear(), 7, 0x0102);

        assertThat(ByteOrder.nativeOrder()).isEqualTo(ByteOrder.LITTLE_ENDIAN); // the expected bytes below
        assertThat(hex()).isEqualTo(
                "1c000000" + "0203" + "0500" + "07000000" + "00000000" // nlmsghdr: len 28, CONFIG, REQUEST|ACK
                + "00" + "00" + "0102"                                    // nfgenmsg: AF_UNSPEC, v0, queue 258
                + "0800" + "0100" + "01" + "00" + "0002");                // NFQA_CFG_CMD: BIND, pf AF_INET
    }

    @Test
    void writesParamsLengthAndFlagsInOneMessage() {
        Nfqueue.configure(buf.clear(), 1, 0, 0xFFFF, 4096, Nfqueue.FLAG_FAIL_OPEN | Nfqueue.FLAG_GSO);

        assertThat(hex()).isEqualTo(
                "38000000" + "0203" + "0500" + "01000000" + "00000000" + "00000000" // len 56
                + "0900" + "0200" + "0000ffff" + "02" + "000000"   // PARAMS: range 65535, COPY_PACKET, padded
                + "0800" + "0300" + "00001000"                     // QUEUE_MAXLEN 4096
                + "0800" + "0400" + "00000005"                     // MASK
                + "0800" + "0500" + "00000005");                   // FLAGS
    }

    @Test
    void writesAVerdictWithAMarkAndAReplacementPacket() {
        byte[] replacement = {1, 2, 3, 4, 5};
        Nfqueue.verdict(buf.clear(), 3, 0x11223344, Nfqueue.NF_ACCEPT, 0x10, replacement, 0, 5);

        assertThat(hex()).isEqualTo(
                "34000000" + "0103" + "0100" + "00000000" + "00000000" + "00000003"
                + "0c00" + "0200" + "00000001" + "11223344"       // VERDICT_HDR: accept, id
                + "0800" + "0300" + "00000010"                     // MARK
                + "0900" + "0a00" + "0102030405" + "000000");      // PAYLOAD, padded
    }

    @Test
    void parsesAQueuedPacket() throws Exception {
        byte[] message = packetMessage(42, 3, Nfqueue.SKB_CSUM_NOT_READY, new byte[] {0x45, 0, 0, 40});
        System.arraycopy(message, 0, buf.array(), 0, message.length);

        int next = Nfqueue.parse(buf, 0, message.length, packet);

        assertThat(next).isEqualTo(message.length);
        assertThat(packet.kind).isEqualTo(QueuedPacket.Kind.PACKET);
        assertThat(packet.queue).isEqualTo(5);
        assertThat(packet.packetId).isEqualTo(42);
        assertThat(packet.hook).isEqualTo(3);
        assertThat(packet.hwProtocol).isEqualTo(0x0800);
        assertThat(packet.checksumNotReady()).isTrue();
        assertThat(packet.payloadLength).isEqualTo(4);
        assertThat(buf.array()[packet.payloadOffset]).isEqualTo((byte) 0x45);
    }

    @Test
    void parsesAcksAndRaisesTheKernelsErrors() throws Exception {
        ByteBuffer b = ByteBuffer.wrap(buf.array()).order(ByteOrder.nativeOrder());
        b.putInt(0, 36).putShort(4, (short) NetlinkBuffer.NLMSG_ERROR).putInt(8, 9).putInt(16, 0);
        Nfqueue.parse(buf, 0, 36, packet);
        assertThat(packet.kind).isEqualTo(QueuedPacket.Kind.ACK);
        assertThat(packet.ackSeq).isEqualTo(9);

        b.putInt(16, -1); // EPERM
        assertThatThrownBy(() -> Nfqueue.parse(buf, 0, 36, packet))
                .isInstanceOf(NetlinkException.class)
                .satisfies(e -> assertThat(((NetlinkException) e).errno()).isEqualTo(1));
    }

    @Test
    void refusesMalformedMessages() {
        byte[] message = packetMessage(1, 1, 0, new byte[8]);
        System.arraycopy(message, 0, buf.array(), 0, message.length);
        // Claims more bytes than were received.
        assertThatThrownBy(() -> Nfqueue.parse(buf, 0, message.length - 1, packet)).isInstanceOf(NetlinkException.class);
        // An attribute longer than its message.
        ByteBuffer.wrap(buf.array()).order(ByteOrder.nativeOrder()).putShort(20, (short) 200);
        assertThatThrownBy(() -> Nfqueue.parse(buf, 0, message.length, packet)).isInstanceOf(NetlinkException.class);
        assertThatThrownBy(() -> Nfqueue.parse(buf, 0, 10, packet)).hasMessageContaining("truncated");
    }

    @Test
    void findsTheNextMessageAfterOneThatCannotBeParsed() throws NetlinkException {
        byte[] first = packetMessage(1, 1, 0, new byte[8]);
        byte[] second = packetMessage(2, 1, 0, new byte[8]);
        System.arraycopy(first, 0, buf.array(), 0, first.length);
        int secondAt = NetlinkBuffer.align(first.length);
        System.arraycopy(second, 0, buf.array(), secondAt, second.length);
        int limit = secondAt + second.length;
        ByteBuffer.wrap(buf.array()).order(ByteOrder.nativeOrder()).putShort(20, (short) 200); // first: bad attribute

        assertThatThrownBy(() -> Nfqueue.parse(buf, 0, limit, packet)).isInstanceOf(NetlinkException.class);
        assertThat(Nfqueue.messageEnd(buf, 0, limit)).isEqualTo(secondAt);
        assertThat(Nfqueue.parse(buf, secondAt, limit, packet)).isEqualTo(limit);
        assertThat(packet.packetId).isEqualTo(2);
        // A header that claims more than was received, or too little to be a header: no way on.
        assertThat(Nfqueue.messageEnd(buf, secondAt, limit - 1)).isEqualTo(-1);
        assertThat(Nfqueue.messageEnd(buf, 0, 10)).isEqualTo(-1);
    }

    @Test
    void writesTheLogGroupsBindAndConfigurationAsTheKernelExpectsThem() {
        Nflog.bind(buf.clear(), 3, 2);
        assertThat(hex()).isEqualTo(
                "1c000000" + "0104" + "0500" + "03000000" + "00000000" // len 28, ULOG CONFIG, REQUEST|ACK
                + "00" + "00" + "0002"                                    // nfgenmsg: AF_UNSPEC, v0, group 2
                + "0500" + "0100" + "01" + "000000");                     // NFULA_CFG_CMD: BIND, padded

        Nflog.configure(buf.clear(), 4, 2, 0xFFFF);
        assertThat(hex()).isEqualTo(
                "30000000" + "0104" + "0500" + "04000000" + "00000000" + "00000002" // len 48
                + "0a00" + "0200" + "0000ffff" + "02" + "00" + "0000"   // MODE: range 65535, COPY_PACKET, padded
                + "0800" + "0500" + "00000001"                          // QTHRESH 1: each copy sent at once
                + "0600" + "0600" + "0001" + "0000");                   // FLAGS (be16): SEQ, padded
    }

    @Test
    void parsesALoggedPacketsCopy() throws Exception {
        byte[] payload = {0x45, 0, 0, 40, 1, 2, 3};
        int length = 16 + 4 + 8 + 8 + 4 + NetlinkBuffer.align(payload.length);
        ByteBuffer m = ByteBuffer.allocate(length).order(ByteOrder.nativeOrder());
        m.putInt(length).putShort((short) Nflog.MSG_PACKET).putShort((short) 0).putInt(0).putInt(0);
        m.put((byte) 2).put((byte) 0).order(ByteOrder.BIG_ENDIAN).putShort((short) 2);
        m.order(ByteOrder.nativeOrder()).putShort((short) 8).putShort((short) Nflog.ATTR_PACKET_HDR);
        m.order(ByteOrder.BIG_ENDIAN).putShort((short) 0x0800).put((byte) 3).put((byte) 0);
        m.order(ByteOrder.nativeOrder()).putShort((short) 8).putShort((short) Nflog.ATTR_SEQ);
        m.order(ByteOrder.BIG_ENDIAN).putInt(17);
        m.order(ByteOrder.nativeOrder()).putShort((short) (4 + payload.length)).putShort((short) Nflog.ATTR_PAYLOAD)
                .put(payload);
        System.arraycopy(m.array(), 0, buf.array(), 0, length);

        assertThat(Nfqueue.parse(buf, 0, length, packet)).isEqualTo(length);
        assertThat(packet.kind).isEqualTo(QueuedPacket.Kind.LOGGED);
        assertThat(packet.queue).as("the group").isEqualTo(2);
        assertThat(packet.packetId).as("the copy's number").isEqualTo(17);
        assertThat(packet.hook).isEqualTo(3);
        assertThat(packet.hwProtocol).isEqualTo(0x0800);
        assertThat(packet.payloadLength).isEqualTo(payload.length);
        assertThat(buf.array()[packet.payloadOffset + 6]).isEqualTo((byte) 3);

        ByteBuffer.wrap(buf.array()).order(ByteOrder.nativeOrder()).putShort(36, (short) 2); // SEQ's length: broken
        assertThatThrownBy(() -> Nfqueue.parse(buf, 0, length, packet)).isInstanceOf(NetlinkException.class);
    }

    /** A NFQNL_MSG_PACKET as the kernel builds it: packet header, skb info, payload. */
    private static byte[] packetMessage(int id, int hook, int skbInfo, byte[] payload) {
        int length = 16 + 4 + 12 + 8 + 4 + NetlinkBuffer.align(payload.length);
        ByteBuffer m = ByteBuffer.allocate(length).order(ByteOrder.nativeOrder());
        m.putInt(length).putShort((short) Nfqueue.MSG_PACKET).putShort((short) 0).putInt(0).putInt(0);
        m.put((byte) 2).put((byte) 0).order(ByteOrder.BIG_ENDIAN).putShort((short) 5);
        m.order(ByteOrder.nativeOrder()).putShort((short) 11).putShort((short) 1);
        m.order(ByteOrder.BIG_ENDIAN).putInt(id).putShort((short) 0x0800).put((byte) hook).put((byte) 0);
        m.order(ByteOrder.nativeOrder()).putShort((short) 8).putShort((short) 14);
        m.order(ByteOrder.BIG_ENDIAN).putInt(skbInfo);
        m.order(ByteOrder.nativeOrder()).putShort((short) (4 + payload.length)).putShort((short) 10);
        m.put(payload);
        return m.array();
    }
}
