package io.trods.agent.netlink;

/**
 * The nfnetlink_queue protocol (linux/netfilter/nfnetlink_queue.h): configuration and verdict
 * messages written into a {@link NetlinkBuffer}, queued packets parsed out of one (and the copies of
 * logged packets that arrive on the same socket, through {@link Nflog}). Pure: the socket lives in
 * the kernel adapter.
 */
public final class Nfqueue {

    static final int SUBSYS_QUEUE = 3;
    static final int MSG_PACKET = SUBSYS_QUEUE << 8;
    static final int MSG_VERDICT = SUBSYS_QUEUE << 8 | 1;
    static final int MSG_CONFIG = SUBSYS_QUEUE << 8 | 2;

    static final int CFG_CMD = 1;
    static final int CFG_PARAMS = 2;
    static final int CFG_QUEUE_MAXLEN = 3;
    static final int CFG_MASK = 4;
    static final int CFG_FLAGS = 5;
    static final int CMD_BIND = 1;
    static final int CMD_UNBIND = 2;
    static final int COPY_PACKET = 2;

    /** On a full queue, accept instead of dropping: fail-open. */
    public static final int FLAG_FAIL_OPEN = 1;
    /** Hand over GSO packets whole, unsegmented (their checksum may be partial). */
    public static final int FLAG_GSO = 1 << 2;

    static final int ATTR_PACKET_HDR = 1;
    static final int ATTR_VERDICT_HDR = 2;
    static final int ATTR_MARK = 3;
    static final int ATTR_IFINDEX_INDEV = 5;
    static final int ATTR_IFINDEX_OUTDEV = 6;
    static final int ATTR_PAYLOAD = 10;
    static final int ATTR_SKB_INFO = 14;

    public static final int SKB_CSUM_NOT_READY = 1;
    public static final int SKB_GSO = 2;

    public static final int NF_DROP = 0;
    public static final int NF_ACCEPT = 1;
    public static final int NF_REPEAT = 4;

    private static final int AF_INET = 2;
    private static final int AF_UNSPEC = 0;

    private Nfqueue() {
    }

    public static void bind(NetlinkBuffer out, int seq, int queue) {
        command(out, seq, queue, CMD_BIND);
    }

    public static void unbind(NetlinkBuffer out, int seq, int queue) {
        command(out, seq, queue, CMD_UNBIND);
    }

    private static void command(NetlinkBuffer out, int seq, int queue, int command) {
        out.beginNfMessage(MSG_CONFIG, NetlinkBuffer.NLM_F_REQUEST | NetlinkBuffer.NLM_F_ACK, seq, AF_UNSPEC, queue);
        int at = out.attrValue(CFG_CMD, 4);
        out.array()[at] = (byte) command;
        out.network().putShort(at + 2, (short) AF_INET);
        out.end();
    }

    /**
     * A configuration message that changes nothing and asks for an acknowledgement: sent by
     * another thread, the kernel's answer wakes the queue's thread up from its receive.
     */
    public static void ping(NetlinkBuffer out, int queue) {
        out.beginNfMessage(MSG_CONFIG, NetlinkBuffer.NLM_F_REQUEST | NetlinkBuffer.NLM_F_ACK, 0, AF_UNSPEC, queue).end();
    }

    /** Copy whole packets (up to {@code copyRange} bytes), queue length and flags in one message. */
    public static void configure(NetlinkBuffer out, int seq, int queue, int copyRange, int maxLength, int flags) {
        out.beginNfMessage(MSG_CONFIG, NetlinkBuffer.NLM_F_REQUEST | NetlinkBuffer.NLM_F_ACK, seq, AF_UNSPEC, queue);
        int at = out.attrValue(CFG_PARAMS, 5);
        out.network().putInt(at, copyRange);
        out.array()[at + 4] = COPY_PACKET;
        out.attrBe32(CFG_QUEUE_MAXLEN, maxLength);
        out.attrBe32(CFG_MASK, flags);
        out.attrBe32(CFG_FLAGS, flags);
        out.end();
    }

    /** A verdict without changing the packet, optionally setting its mark (-1: leave it). */
    public static void verdict(NetlinkBuffer out, int queue, int packetId, int verdict, int mark) {
        verdictHeader(out, queue, packetId, verdict, mark);
        out.end();
    }

    /** A verdict that replaces the packet with {@code packet[offset, offset + length)}. */
    public static void verdict(NetlinkBuffer out, int queue, int packetId, int verdict, int mark,
            byte[] packet, int offset, int length) {
        verdictHeader(out, queue, packetId, verdict, mark);
        out.attrBytes(ATTR_PAYLOAD, packet, offset, length);
        out.end();
    }

    private static void verdictHeader(NetlinkBuffer out, int queue, int packetId, int verdict, int mark) {
        out.beginNfMessage(MSG_VERDICT, NetlinkBuffer.NLM_F_REQUEST, 0, AF_UNSPEC, queue);
        int at = out.attrValue(ATTR_VERDICT_HDR, 8);
        out.network().putInt(at, verdict);
        out.network().putInt(at + 4, packetId);
        if (mark != -1) {
            out.attrBe32(ATTR_MARK, mark);
        }
    }

    /**
     * Where the message at {@code offset} ends (the next one starts), from its header alone; -1 when
     * the header itself is broken and nothing after it can be found. A receive loop uses it to go on
     * with the rest of a batch when one message is refused or malformed: the rest are packets that
     * would otherwise stay queued, unanswered.
     */
    public static int messageEnd(NetlinkBuffer in, int offset, int limit) {
        if (limit - offset < NetlinkBuffer.NLMSG_HDRLEN) {
            return -1;
        }
        int length = in.u32Host(offset);
        if (length < NetlinkBuffer.NLMSG_HDRLEN || offset + length > limit) {
            return -1;
        }
        return Math.min(limit, offset + NetlinkBuffer.align(length));
    }

    /**
     * Parses the message at {@code offset} of {@code in}.
     *
     * @return the offset of the next message, or {@code limit} when this was the last
     * @throws NetlinkException for a malformed message or an error reply of the kernel
     */
    public static int parse(NetlinkBuffer in, int offset, int limit, QueuedPacket into) throws NetlinkException {
        into.clear();
        if (limit - offset < NetlinkBuffer.NLMSG_HDRLEN) {
            throw new NetlinkException("truncated netlink header", 0);
        }
        int length = in.u32Host(offset);
        int type = in.u16Host(offset + 4);
        if (length < NetlinkBuffer.NLMSG_HDRLEN || offset + length > limit) {
            throw new NetlinkException("netlink message length " + length + " beyond the received bytes", 0);
        }
        int next = Math.min(limit, offset + NetlinkBuffer.align(length));
        if (type == NetlinkBuffer.NLMSG_ERROR) {
            int error = length >= 20 ? in.u32Host(offset + 16) : 0;
            into.ackSeq = in.u32Host(offset + 8);
            if (error != 0) {
                throw new NetlinkException("the kernel refused request " + into.ackSeq, -error);
            }
            into.kind = QueuedPacket.Kind.ACK;
            return next;
        }
        if (Nflog.isPacket(type)) {
            Nflog.parsePacket(in, offset, length, into); // a copy, logged on the same socket
            return next;
        }
        if (type != MSG_PACKET) {
            into.kind = QueuedPacket.Kind.OTHER;
            return next;
        }
        into.queue = in.be16(offset + 18);
        int at = offset + NetlinkBuffer.NLMSG_HDRLEN + 4;
        int end = offset + length;
        while (at + NetlinkBuffer.NLA_HDRLEN <= end) {
            int attrLength = in.u16Host(at);
            int attrType = in.u16Host(at + 2) & 0x3FFF; // without the nested and byte-order flags
            if (attrLength < NetlinkBuffer.NLA_HDRLEN || at + attrLength > end) {
                throw new NetlinkException("malformed attribute " + attrType, 0);
            }
            int value = at + NetlinkBuffer.NLA_HDRLEN;
            int valueLength = attrLength - NetlinkBuffer.NLA_HDRLEN;
            switch (attrType) {
                case ATTR_PACKET_HDR -> {
                    if (valueLength < 7) {
                        throw new NetlinkException("short packet header", 0);
                    }
                    into.packetId = in.be32(value);
                    into.hwProtocol = in.be16(value + 4);
                    into.hook = in.array()[value + 6] & 0xFF;
                }
                case ATTR_MARK -> into.mark = in.be32(value);
                case ATTR_IFINDEX_INDEV -> into.inDevice = in.be32(value);
                case ATTR_IFINDEX_OUTDEV -> into.outDevice = in.be32(value);
                case ATTR_SKB_INFO -> into.skbInfo = in.be32(value);
                case ATTR_PAYLOAD -> {
                    into.payloadOffset = value;
                    into.payloadLength = valueLength;
                }
                default -> {
                    // Other attributes (timestamps, hardware addresses, conntrack) are not used.
                }
            }
            at += NetlinkBuffer.align(attrLength);
        }
        if (into.packetId < 0 && into.payloadOffset < 0) {
            throw new NetlinkException("a queued packet without id", 0);
        }
        into.kind = QueuedPacket.Kind.PACKET;
        return next;
    }
}
