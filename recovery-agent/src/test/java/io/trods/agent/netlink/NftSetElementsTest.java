package io.trods.agent.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The codec's bytes against what nft 1.0.6 itself sent on this kernel for the same elements (captured
 * inside a scratch namespace with {@code strace -e trace=sendmsg -e write=3 -xx nft ...}, whole
 * sendmsg buffers: BATCH_BEGIN, the element message, BATCH_END). Ours differ in two documented
 * places only: NLM_F_ACK is set on the element message, and there is no NFTA_SET_ELEM_LIST_SET_ID
 * (nft's reference to a set created in the same batch; the kernel finds ours by name). Sequence
 * numbers and port ids are left out of the comparison.
 */
class NftSetElementsTest {

    static final int CLIENT = 0xC6126201; // 198.18.98.1
    static final int PORT = 51234;

    /** nft add element ip trods_agent caps '{ 10.0.0.2 . 40000 . 1000-200000 timeout 60s : 555 }' */
    static final String NFT_ADD_CAPS = "140000001000010000000000000000000000000a"
            + "800000000c0a01040100000000000000020000001000010074726f64735f6167656e740009000200636170730000000008000400"
            + "0000000148000380440001800c000400000000000000ea6014000180100001000a0000029c400000000003e814000a8010000100"
            + "0a0000029c40000000030d400c000280080001000000022b"
            + "140000001100010002000000000000000000000a";

    /**
     * nft add element ip trods_agent caps '{ 198.18.98.1 . 51234 . 4294901760-4294967295 timeout 90s :
     * 3735928559, 198.18.98.1 . 51234 . 0-65535 timeout 90s : 3735928559 }': a wrapped range, as two
     * elements in one message.
     */
    static final String NFT_ADD_CAPS_WRAPPED = "140000001000010000000000000000000000000a"
            + "c40000000c0a01040100000000000000020000001000010074726f64735f6167656e740009000200636170730000000008000400"
            + "000000018c000380440001800c0004000000000000015f901400018010000100c6126201c8220000ffff000014000a8010000100"
            + "c6126201c8220000ffffffff0c00028008000100deadbeef440002800c0004000000000000015f901400018010000100c6126201"
            + "c82200000000000014000a8010000100c6126201c82200000000ffff0c00028008000100deadbeef"
            + "140000001100010002000000000000000000000a";

    /** The same for the set acks (no data). */
    static final String NFT_ADD_ACKS_WRAPPED = "140000001000010000000000000000000000000a"
            + "ac0000000c0a01040100000000000000020000001000010074726f64735f6167656e74000900020061636b7300000000080004"
            + "000000000374000380380001800c0004000000000000015f901400018010000100c6126201c8220000ffff000014000a801000"
            + "0100c6126201c8220000ffffffff380002800c0004000000000000015f901400018010000100c6126201c82200000000000014"
            + "000a8010000100c6126201c82200000000ffff"
            + "140000001100010002000000000000000000000a";

    /** nft delete element ip trods_agent caps '{ 198.18.98.1 . 51234 . 4294901760-4294967295, ... . 0-65535 }' */
    static final String NFT_DELETE_CAPS_WRAPPED = "140000001000010000000000000000000000000a"
            + "8c0000000e0a01000100000000000000020000001000010074726f64735f6167656e74000900020063617073000000005c0003"
            + "802c0001801400018010000100c6126201c8220000ffff000014000a8010000100c6126201c8220000ffffffff2c0002801400"
            + "018010000100c6126201c82200000000000014000a8010000100c6126201c82200000000ffff"
            + "140000001100010002000000000000000000000a";

    @Test
    void anElementOfTheMapIsEncodedAsNftEncodesIt() {
        NetlinkBuffer out = batch(b -> NftSetElements.add(b, 7, "trods_agent", "caps", 0x0A000002, 40000, 1000,
                200000, true, 555, 60_000));
        assertSameAsNft(out, NFT_ADD_CAPS, NftSetElements.MSG_NEWSETELEM, 0x1 | 0x400 | 0x4);
    }

    @Test
    void aRangeThatWrapsPastTwoToThe32IsTwoElementsInOneMessage() {
        NetlinkBuffer caps = batch(b -> NftSetElements.add(b, 2, "trods_agent", "caps", CLIENT, PORT, 0xFFFF0000,
                0x0000FFFF, true, 0xDEADBEEF, 90_000));
        assertSameAsNft(caps, NFT_ADD_CAPS_WRAPPED, NftSetElements.MSG_NEWSETELEM, 0x1 | 0x400 | 0x4);

        NetlinkBuffer acks = batch(b -> NftSetElements.add(b, 2, "trods_agent", "acks", CLIENT, PORT, 0xFFFF0000,
                0x0000FFFF, false, 0, 90_000));
        assertSameAsNft(acks, NFT_ADD_ACKS_WRAPPED, NftSetElements.MSG_NEWSETELEM, 0x1 | 0x400 | 0x4);

        NetlinkBuffer removal = batch(b -> NftSetElements.delete(b, 2, "trods_agent", "caps", CLIENT, PORT, 0xFFFF0000,
                0x0000FFFF));
        assertSameAsNft(removal, NFT_DELETE_CAPS_WRAPPED, NftSetElements.MSG_DELSETELEM, 0x1 | 0x4);
    }

    @Test
    void wrapping() {
        assertThat(NftSetElements.wraps(0xFFFF0000, 0x0000FFFF)).isTrue();
        assertThat(NftSetElements.wraps(0x7FFFFFFF, 0x80000000)).as("signed overflow is no wrap").isFalse();
        assertThat(NftSetElements.wraps(5, 5)).isFalse();
        assertThat(NftSetElements.wraps(6, 5)).isTrue();
        // A range ending exactly at 2^32 - 1 is one element.
        NetlinkBuffer out = new NetlinkBuffer(1024);
        NftSetElements.add(out, 1, "trods_agent", "zero", CLIENT, PORT, 0xFFFF0000, 0xFFFFFFFF, false, 0, 1000);
        assertThat(elementsOf(out, 0)).hasSize(1);
        out.clear();
        NftSetElements.destroy(out, 1, "trods_agent", "zero", CLIENT, PORT, 0xFFFFFFFF, 0);
        assertThat(elementsOf(out, 0)).as("[0xFFFFFFFF, 0xFFFFFFFF] and [0, 0]").hasSize(2);
    }

    @Test
    void destroyIsDeleteWithItsOwnMessageType() {
        NetlinkBuffer delete = new NetlinkBuffer(1024);
        NftSetElements.delete(delete, 9, "trods_agent", "zero", CLIENT, PORT, 1000, 200000);
        NetlinkBuffer destroy = new NetlinkBuffer(1024);
        NftSetElements.destroy(destroy, 9, "trods_agent", "zero", CLIENT, PORT, 1000, 200000);
        assertThat(destroy.length()).isEqualTo(delete.length());
        ByteBuffer host = ByteBuffer.wrap(destroy.array()).order(ByteOrder.nativeOrder());
        assertThat(host.getShort(4) & 0xFFFF).isEqualTo(10 << 8 | 30); // NFNL_SUBSYS_NFTABLES, NFT_MSG_DESTROYSETELEM
        assertThat(host.getShort(6) & 0xFFFF).isEqualTo(0x1 | 0x4);
        byte[] a = java.util.Arrays.copyOfRange(delete.array(), 6, delete.length());
        byte[] b = java.util.Arrays.copyOfRange(destroy.array(), 6, destroy.length());
        assertThat(b).isEqualTo(a);
    }

    @Test
    void aBatchIsFramedForTheNfTablesSubsystemAsNftFramesIt() {
        NetlinkBuffer out = new NetlinkBuffer(64);
        NftSetElements.beginBatch(out, 0);
        NftSetElements.endBatch(out, 2);
        byte[] nft = HexFormat.of().parseHex(NFT_ADD_CAPS);
        byte[] nftBegin = java.util.Arrays.copyOfRange(nft, 0, 20);
        byte[] nftEnd = java.util.Arrays.copyOfRange(nft, nft.length - 20, nft.length);
        assertThat(HexFormat.of().formatHex(out.array(), 0, 20)).isEqualTo(HexFormat.of().formatHex(nftBegin));
        assertThat(HexFormat.of().formatHex(out.array(), 20, 40)).isEqualTo(HexFormat.of().formatHex(nftEnd));
    }

    @Test
    void acknowledgementsAndErrorsAreReadWithTheirSequenceNumbers() throws Exception {
        // Two answers as the kernel sends them with NETLINK_CAP_ACK: an ack of seq 5, ENOENT for seq 6.
        ByteBuffer in = ByteBuffer.allocate(72).order(ByteOrder.nativeOrder());
        reply(in, 5, 0);
        reply(in, 6, -2);
        NetlinkBuffer buffer = new NetlinkBuffer(72);
        System.arraycopy(in.array(), 0, buffer.array(), 0, 72);
        List<String> seen = new ArrayList<>();
        NftSetElements.parseAcks(buffer, 72, (seq, errno) -> seen.add(seq + ":" + errno));
        assertThat(seen).containsExactly("5:0", "6:2");

        buffer.array()[0] = 8; // a length below the header's
        assertThatThrownBy(() -> NftSetElements.parseAcks(buffer, 72, (seq, errno) -> { }))
                .isInstanceOf(NetlinkException.class);
    }

    private static void reply(ByteBuffer in, int seq, int error) {
        in.putInt(36).putShort((short) 2).putShort((short) 0x100).putInt(seq).putInt(0); // NLMSG_ERROR, NLM_F_CAPPED
        in.putInt(error);
        in.putInt(0).putShort((short) 0).putShort((short) 0).putInt(seq).putInt(0); // the request's header
    }

    // --- helpers ------------------------------------------------------------------------------------

    private static NetlinkBuffer batch(java.util.function.Consumer<NetlinkBuffer> message) {
        NetlinkBuffer out = new NetlinkBuffer(4096);
        NftSetElements.beginBatch(out, 0);
        message.accept(out);
        NftSetElements.endBatch(out, 2);
        return out;
    }

    /**
     * Compares a whole batch with nft's: the framing byte for byte, the element message's header
     * (type, flags as given), its nfgenmsg, and its attributes in order and byte for byte, nft's
     * set id left out.
     */
    private static void assertSameAsNft(NetlinkBuffer ours, String nftHex, int type, int flags) {
        byte[] nft = HexFormat.of().parseHex(nftHex);
        ByteBuffer theirs = ByteBuffer.wrap(nft).order(ByteOrder.nativeOrder());
        ByteBuffer mine = ByteBuffer.wrap(ours.array(), 0, ours.length()).order(ByteOrder.nativeOrder());
        int theirLength = theirs.getInt(20);
        int myLength = mine.getInt(20);
        assertThat(ours.length()).isEqualTo(20 + myLength + 20);

        assertThat(hex(ours.array(), 0, 8)).as("BATCH_BEGIN").isEqualTo(hex(nft, 0, 8));
        assertThat(hex(ours.array(), 12, 20)).isEqualTo(hex(nft, 12, 20));
        assertThat(hex(ours.array(), 20 + myLength, 20 + myLength + 8)).as("BATCH_END")
                .isEqualTo(hex(nft, 20 + theirLength, 20 + theirLength + 8));
        assertThat(hex(ours.array(), 20 + myLength + 12, ours.length())).isEqualTo(hex(nft, 20 + theirLength + 12,
                nft.length));

        assertThat(mine.getShort(24) & 0xFFFF).as("message type").isEqualTo(type)
                .isEqualTo(theirs.getShort(24) & 0xFFFF);
        assertThat(mine.getShort(26) & 0xFFFF).as("flags: nft's and NLM_F_ACK").isEqualTo(flags)
                .isEqualTo((theirs.getShort(26) & 0xFFFF) | 0x4);
        assertThat(mine.getInt(32)).as("port id").isZero();
        assertThat(hex(ours.array(), 36, 40)).as("nfgenmsg: AF_INET, v0, res_id 0").isEqualTo(hex(nft, 36, 40))
                .isEqualTo("02000000");

        List<String> nftAttributes = topLevel(nft, 40, 20 + theirLength);
        nftAttributes.removeIf(a -> a.startsWith("4="));
        assertThat(topLevel(ours.array(), 40, 20 + myLength)).isEqualTo(nftAttributes);
    }

    /** A message's attributes in order, as type=hex of the value (nested ones raw). */
    private static List<String> topLevel(byte[] bytes, int from, int to) {
        ByteBuffer host = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
        List<String> attributes = new ArrayList<>();
        for (int at = from; at + 4 <= to; ) {
            int length = host.getShort(at) & 0xFFFF;
            attributes.add((host.getShort(at + 2) & 0x7FFF) + "=" + hex(bytes, at + 4, at + length));
            at += NetlinkBuffer.align(length);
        }
        assertThat(attributes).isNotEmpty();
        return attributes;
    }

    /** The elements of the one message at {@code at}: the nested attributes of its element list. */
    private static List<String> elementsOf(NetlinkBuffer out, int at) {
        ByteBuffer host = ByteBuffer.wrap(out.array()).order(ByteOrder.nativeOrder());
        for (int a = at + 20; a < at + host.getInt(at); ) {
            int length = host.getShort(a) & 0xFFFF;
            if ((host.getShort(a + 2) & 0x7FFF) == 3) {
                return topLevel(out.array(), a + 4, a + length);
            }
            a += NetlinkBuffer.align(length);
        }
        throw new AssertionError("no element list");
    }

    private static String hex(byte[] bytes, int from, int to) {
        return HexFormat.of().formatHex(bytes, from, to);
    }
}
