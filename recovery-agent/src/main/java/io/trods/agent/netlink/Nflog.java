package io.trods.agent.netlink;

/**
 * The nfnetlink_log protocol (linux/netfilter/nfnetlink_log.h): an NFLOG group's configuration,
 * and the copies of logged packets parsed out of a receive buffer. A logged packet goes on in the
 * kernel at once, without waiting for anyone: the agent reads copies of the packets it only needs
 * to see (a handshake's options), and queues only those it may have to hold or change. Bound on
 * the queues' own socket, the copies arrive in order with the queued packets. Pure: the socket lives
 * in the kernel adapter.
 */
public final class Nflog {

    static final int SUBSYS_ULOG = 4;
    static final int MSG_PACKET = SUBSYS_ULOG << 8;
    static final int MSG_CONFIG = SUBSYS_ULOG << 8 | 1;

    static final int CFG_CMD = 1;
    static final int CFG_MODE = 2;
    static final int CFG_QTHRESH = 5;
    static final int CFG_FLAGS = 6;
    static final int CMD_BIND = 1;
    static final int CMD_UNBIND = 2;
    static final int COPY_PACKET = 2;
    /** Number the copies (NFULA_SEQ), so that the ones the kernel could not deliver are counted. */
    static final int FLAG_SEQ = 1;

    static final int ATTR_PACKET_HDR = 1;
    static final int ATTR_MARK = 2;
    static final int ATTR_IFINDEX_INDEV = 4;
    static final int ATTR_IFINDEX_OUTDEV = 5;
    static final int ATTR_PAYLOAD = 9;
    static final int ATTR_SEQ = 12;

    private static final int AF_UNSPEC = 0;

    private Nflog() {
    }

    public static void bind(NetlinkBuffer out, int seq, int group) {
        command(out, seq, group, CMD_BIND);
    }

    public static void unbind(NetlinkBuffer out, int seq, int group) {
        command(out, seq, group, CMD_UNBIND);
    }

    private static void command(NetlinkBuffer out, int seq, int group, int command) {
        out.beginNfMessage(MSG_CONFIG, NetlinkBuffer.NLM_F_REQUEST | NetlinkBuffer.NLM_F_ACK, seq, AF_UNSPEC, group);
        int at = out.attrValue(CFG_CMD, 1);
        out.array()[at] = (byte) command;
        out.end();
    }

    /**
     * Whole packets up to {@code copyRange} bytes, numbered, each sent on its own at once: the
     * kernel's default waits for 100 copies (or a second) before it sends any, and a SYN's copy must
     * be read before its connection's first queued packet.
     */
    public static void configure(NetlinkBuffer out, int seq, int group, int copyRange) {
        out.beginNfMessage(MSG_CONFIG, NetlinkBuffer.NLM_F_REQUEST | NetlinkBuffer.NLM_F_ACK, seq, AF_UNSPEC, group);
        int at = out.attrValue(CFG_MODE, 6);
        out.network().putInt(at, copyRange);
        out.array()[at + 4] = COPY_PACKET;
        out.attrBe32(CFG_QTHRESH, 1);
        at = out.attrValue(CFG_FLAGS, 2);
        out.network().putShort(at, (short) FLAG_SEQ);
        out.end();
    }

    /** Whether a message of this netlink type is a logged packet. */
    static boolean isPacket(int type) {
        return type == MSG_PACKET;
    }

    /**
     * Parses a logged packet's attributes (the message's header already checked by the caller)
     * into {@code into}: {@link QueuedPacket.Kind#LOGGED}, the group as its queue, the copy's number
     * as its id.
     */
    static void parsePacket(NetlinkBuffer in, int offset, int length, QueuedPacket into) throws NetlinkException {
        into.queue = in.be16(offset + 18);
        int at = offset + NetlinkBuffer.NLMSG_HDRLEN + 4;
        int end = offset + length;
        while (at + NetlinkBuffer.NLA_HDRLEN <= end) {
            int attrLength = in.u16Host(at);
            int attrType = in.u16Host(at + 2) & 0x3FFF;
            if (attrLength < NetlinkBuffer.NLA_HDRLEN || at + attrLength > end) {
                throw new NetlinkException("malformed log attribute " + attrType, 0);
            }
            int value = at + NetlinkBuffer.NLA_HDRLEN;
            int valueLength = attrLength - NetlinkBuffer.NLA_HDRLEN;
            switch (attrType) {
                case ATTR_PACKET_HDR -> {
                    if (valueLength < 3) {
                        throw new NetlinkException("short log packet header", 0);
                    }
                    into.hwProtocol = in.be16(value);
                    into.hook = in.array()[value + 2] & 0xFF;
                }
                case ATTR_MARK -> into.mark = in.be32(value);
                case ATTR_IFINDEX_INDEV -> into.inDevice = in.be32(value);
                case ATTR_IFINDEX_OUTDEV -> into.outDevice = in.be32(value);
                case ATTR_SEQ -> into.packetId = in.be32(value);
                case ATTR_PAYLOAD -> {
                    into.payloadOffset = value;
                    into.payloadLength = valueLength;
                }
                default -> {
                    // Timestamps, hardware addresses, uid and gid are not used.
                }
            }
            at += NetlinkBuffer.align(attrLength);
        }
        if (into.hook < 0 || into.payloadOffset < 0) {
            throw new NetlinkException("a logged packet without header or payload", 0);
        }
        into.kind = QueuedPacket.Kind.LOGGED;
    }
}
