package io.trods.agent.netlink;

/**
 * nf_tables netlink codec for the one thing the agent changes at run time: elements of the fast
 * path's interval sets, whose keys are a client address, a port and a range of 32-bit sequence
 * (or acknowledgement) numbers ({@code ip daddr . tcp dport . tcp sequence}). Spawning nft for
 * every lane would cost milliseconds and a process each; these messages cost a system call per
 * batch.
 *
 * <p>A change is a batch: BATCH_BEGIN, element messages, BATCH_END, which the kernel applies as one
 * transaction, all or nothing. Each element message asks for an acknowledgement ({@code NLM_F_ACK}),
 * so the sender knows when the kernel is done and which message it refused ({@link #parseAcks}).
 *
 * <p>The bytes are those nft 1.0.6 sends for {@code nft add element} / {@code nft delete element}
 * (checked against strace captures in the unit test), but for the acknowledgement flag and the set
 * id that nft adds for sets created in the same batch. A concatenated key is laid out as nft lays
 * it out: each field in network order in registers of 4 bytes (the 2-byte port padded with zeros),
 * so 12 bytes; an interval is the key of its first value and a KEY_END of its last; within an
 * element, the timeout, key, key end and data come in that order. The sets cannot hold an interval
 * that wraps past 2^32, so a range whose first value is above its last (unsigned) is written as two
 * elements, [first, 0xFFFFFFFF] and [0, last], in the same message.
 */
public final class NftSetElements {

    /** nfnetlink.h: NFNL_SUBSYS_NFTABLES, the batch's resource id. */
    static final int SUBSYS_NFTABLES = 10;
    /** nfnetlink.h: NFNL_MSG_BATCH_BEGIN is NLMSG_MIN_TYPE (0x10). */
    static final int MSG_BATCH_BEGIN = 16;
    static final int MSG_BATCH_END = 17;
    /** nf_tables.h, enum nf_tables_msg_types. */
    static final int NFT_MSG_NEWSETELEM = 12;
    static final int NFT_MSG_DELSETELEM = 14;
    /** Deletes the element if it exists, succeeds if not: Linux 6.3 and later. */
    static final int NFT_MSG_DESTROYSETELEM = 30;
    public static final int MSG_NEWSETELEM = SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSETELEM;
    public static final int MSG_DELSETELEM = SUBSYS_NFTABLES << 8 | NFT_MSG_DELSETELEM;
    public static final int MSG_DESTROYSETELEM = SUBSYS_NFTABLES << 8 | NFT_MSG_DESTROYSETELEM;
    /** netlink.h. Never with NLM_F_EXCL: adding an element that is already there is no error. */
    static final int NLM_F_CREATE = 0x400;
    static final int NFPROTO_IPV4 = 2;
    static final int AF_UNSPEC = 0;

    /** enum nft_set_elem_list_attributes. */
    static final int LIST_TABLE = 1;
    static final int LIST_SET = 2;
    static final int LIST_ELEMENTS = 3;
    /** enum nft_list_attributes: NFTA_LIST_ELEM (nft numbers the elements 1, 2, ...; the kernel ignores it). */
    static final int LIST_ELEM = 1;
    /** enum nft_set_elem_attributes. */
    static final int ELEM_KEY = 1;
    static final int ELEM_DATA = 2;
    static final int ELEM_TIMEOUT = 4;
    static final int ELEM_KEY_END = 10;
    /** enum nft_data_attributes. */
    static final int DATA_VALUE = 1;

    /** Key length: three 4-byte registers. */
    public static final int KEY_BYTES = 12;

    private NftSetElements() {
    }

    /** Receives the kernel's answer to one message of a batch. */
    @FunctionalInterface
    public interface AckSink {
        /** @param errno 0 if the kernel accepted the message, else the positive errno it refused it with */
        void ack(int seq, int errno);
    }

    public static void beginBatch(NetlinkBuffer out, int seq) {
        out.beginNfMessage(MSG_BATCH_BEGIN, NetlinkBuffer.NLM_F_REQUEST, seq, AF_UNSPEC, SUBSYS_NFTABLES).end();
    }

    public static void endBatch(NetlinkBuffer out, int seq) {
        out.beginNfMessage(MSG_BATCH_END, NetlinkBuffer.NLM_F_REQUEST, seq, AF_UNSPEC, SUBSYS_NFTABLES).end();
    }

    /** Whether the range wraps past 2^32 and so takes two elements. */
    public static boolean wraps(int first, int last) {
        return Integer.compareUnsigned(first, last) > 0;
    }

    /**
     * Adds (or, if it is already there with the same value, keeps) the interval
     * {@code address . port . first-last}: two elements if it wraps.
     *
     * @param hasValue whether the set is a map; then {@code value} is the element's 4-byte data
     * @param timeoutMillis the element's lifetime, 0 for the set's default (none)
     */
    public static void add(NetlinkBuffer out, int seq, String table, String set, int address, int port, int first,
            int last, boolean hasValue, int value, long timeoutMillis) {
        out.beginNfMessage(MSG_NEWSETELEM, NetlinkBuffer.NLM_F_REQUEST | NLM_F_CREATE | NetlinkBuffer.NLM_F_ACK, seq,
                NFPROTO_IPV4, 0);
        int elements = header(out, table, set);
        if (wraps(first, last)) {
            element(out, 1, address, port, first, -1, hasValue, value, timeoutMillis);
            element(out, 2, address, port, 0, last, hasValue, value, timeoutMillis);
        } else {
            element(out, 1, address, port, first, last, hasValue, value, timeoutMillis);
        }
        out.nestEnd(elements);
        out.end();
    }

    /** Removes the interval (two elements if it wraps); the kernel fails the batch with ENOENT if one is absent. */
    public static void delete(NetlinkBuffer out, int seq, String table, String set, int address, int port, int first,
            int last) {
        removal(out, MSG_DELSETELEM, seq, table, set, address, port, first, last);
    }

    /** Removes the interval if it is there, and is no error if it is not (NFT_MSG_DESTROYSETELEM, Linux 6.3+). */
    public static void destroy(NetlinkBuffer out, int seq, String table, String set, int address, int port, int first,
            int last) {
        removal(out, MSG_DESTROYSETELEM, seq, table, set, address, port, first, last);
    }

    private static void removal(NetlinkBuffer out, int type, int seq, String table, String set, int address, int port,
            int first, int last) {
        out.beginNfMessage(type, NetlinkBuffer.NLM_F_REQUEST | NetlinkBuffer.NLM_F_ACK, seq, NFPROTO_IPV4, 0);
        int elements = header(out, table, set);
        if (wraps(first, last)) {
            element(out, 1, address, port, first, -1, false, 0, 0);
            element(out, 2, address, port, 0, last, false, 0, 0);
        } else {
            element(out, 1, address, port, first, last, false, 0, 0);
        }
        out.nestEnd(elements);
        out.end();
    }

    /** Table and set names; opens the element list and returns where it starts. */
    private static int header(NetlinkBuffer out, String table, String set) {
        out.attrString(LIST_TABLE, table);
        out.attrString(LIST_SET, set);
        return out.nestStart(LIST_ELEMENTS);
    }

    private static void element(NetlinkBuffer out, int index, int address, int port, int first, int last,
            boolean hasValue, int value, long timeoutMillis) {
        int element = out.nestStart(index);
        if (timeoutMillis > 0) {
            out.attrBe64(ELEM_TIMEOUT, timeoutMillis);
        }
        key(out, ELEM_KEY, address, port, first);
        key(out, ELEM_KEY_END, address, port, last);
        if (hasValue) {
            int data = out.nestStart(ELEM_DATA);
            out.attrBe32(DATA_VALUE, value);
            out.nestEnd(data);
        }
        out.nestEnd(element);
    }

    private static void key(NetlinkBuffer out, int type, int address, int port, int number) {
        int nest = out.nestStart(type);
        int at = out.attrValue(DATA_VALUE, KEY_BYTES);
        out.network().putInt(at, address);
        out.network().putShort(at + 4, (short) port);
        out.network().putShort(at + 6, (short) 0);
        out.network().putInt(at + 8, number);
        out.nestEnd(nest);
    }

    /**
     * Reads the acknowledgements and errors among {@code length} received bytes: every NLMSG_ERROR
     * message (error 0 is an acknowledgement) goes to {@code sink}; anything else is skipped.
     *
     * @throws NetlinkException if a message's length is impossible
     */
    public static void parseAcks(NetlinkBuffer in, int length, AckSink sink) throws NetlinkException {
        for (int at = 0; at + NetlinkBuffer.NLMSG_HDRLEN <= length; ) {
            int messageLength = in.u32Host(at);
            if (messageLength < NetlinkBuffer.NLMSG_HDRLEN || at + messageLength > length) {
                throw new NetlinkException("malformed netlink message of length " + messageLength + " at " + at, 0);
            }
            if (in.u16Host(at + 4) == NetlinkBuffer.NLMSG_ERROR && messageLength >= NetlinkBuffer.NLMSG_HDRLEN + 4) {
                sink.ack(in.u32Host(at + 8), -in.u32Host(at + NetlinkBuffer.NLMSG_HDRLEN));
            }
            at += NetlinkBuffer.align(messageLength);
        }
    }
}
