package io.trods.agent.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Writes and reads netlink messages in a byte array: headers in the host's byte order, as netlink
 * wants them; the values of netfilter attributes in network order, as nfnetlink wants them. One
 * instance per socket, reused for every message.
 */
public final class NetlinkBuffer {

    public static final int NLMSG_HDRLEN = 16;
    public static final int NLA_HDRLEN = 4;
    public static final int NLM_F_REQUEST = 0x1;
    public static final int NLM_F_ACK = 0x4;
    public static final int NLMSG_ERROR = 2;
    public static final int NLMSG_DONE = 3;
    public static final int NLA_F_NESTED = 1 << 15;

    private final byte[] array;
    private final ByteBuffer host;
    private final ByteBuffer network;
    private int messageStart = -1;
    private int position;

    public NetlinkBuffer(int capacity) {
        array = new byte[capacity];
        host = ByteBuffer.wrap(array).order(ByteOrder.nativeOrder());
        network = ByteBuffer.wrap(array).order(ByteOrder.BIG_ENDIAN);
    }

    public byte[] array() {
        return array;
    }

    /** Bytes written so far, from the start of the array. */
    public int length() {
        return position;
    }

    public NetlinkBuffer clear() {
        position = 0;
        messageStart = -1;
        return this;
    }

    /** Starts a message with an nfgenmsg header (family, version 0, resource id such as a queue). */
    public NetlinkBuffer beginNfMessage(int type, int flags, int seq, int family, int resourceId) {
        messageStart = position;
        host.putInt(position, 0); // length, set by end()
        host.putShort(position + 4, (short) type);
        host.putShort(position + 6, (short) flags);
        host.putInt(position + 8, seq);
        host.putInt(position + 12, 0); // port id: the kernel
        array[position + 16] = (byte) family;
        array[position + 17] = 0; // NFNETLINK_V0
        network.putShort(position + 18, (short) resourceId);
        position += NLMSG_HDRLEN + 4;
        return this;
    }

    public NetlinkBuffer attrBe32(int type, int value) {
        attrHeader(type, 4);
        network.putInt(position, value);
        position += 4;
        return this;
    }

    /** An attribute whose value is the given bytes, padded to 4. */
    public NetlinkBuffer attrBytes(int type, byte[] value, int offset, int length) {
        attrHeader(type, length);
        System.arraycopy(value, offset, array, position, length);
        position += align(length);
        return this;
    }

    /** Starts an attribute of {@code length} bytes and returns where its value goes (then call skip). */
    public int attrValue(int type, int length) {
        attrHeader(type, length);
        int at = position;
        position += align(length);
        return at;
    }

    /** A NUL-terminated string attribute. */
    public NetlinkBuffer attrString(int type, String value) {
        byte[] bytes = value.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        attrHeader(type, bytes.length + 1);
        System.arraycopy(bytes, 0, array, position, bytes.length);
        position += align(bytes.length + 1);
        return this;
    }

    public NetlinkBuffer attrBe64(int type, long value) {
        attrHeader(type, 8);
        network.putLong(position, value);
        position += 8;
        return this;
    }

    /** Starts a nested attribute (NLA_F_NESTED set); returns where it starts, for {@link #nestEnd}. */
    public int nestStart(int type) {
        int at = position;
        attrHeader(type | NLA_F_NESTED, 0);
        return at;
    }

    /** Closes a nested attribute: its length now covers everything written since its start. */
    public NetlinkBuffer nestEnd(int start) {
        host.putShort(start, (short) (position - start));
        return this;
    }

    public ByteBuffer network() {
        return network;
    }

    public NetlinkBuffer end() {
        host.putInt(messageStart, position - messageStart);
        return this;
    }

    private void attrHeader(int type, int valueLength) {
        host.putShort(position, (short) (NLA_HDRLEN + valueLength));
        host.putShort(position + 2, (short) type);
        position += NLA_HDRLEN;
        java.util.Arrays.fill(array, position, Math.min(array.length, position + align(valueLength)), (byte) 0);
    }

    public static int align(int length) {
        return length + 3 & ~3;
    }

    // --- reading ----------------------------------------------------------------------------------

    public int u32Host(int at) {
        return host.getInt(at);
    }

    public int u16Host(int at) {
        return host.getShort(at) & 0xFFFF;
    }

    public int be32(int at) {
        return network.getInt(at);
    }

    public int be16(int at) {
        return network.getShort(at) & 0xFFFF;
    }
}
