package io.trods.agent.netlink;

/**
 * One message received from a queue, parsed in place: a queued packet (which waits for a verdict),
 * a logged packet's copy (the packet went on without waiting: {@link Nflog}), the kernel's ack, or
 * other.
 */
public final class QueuedPacket {

    public enum Kind { PACKET, LOGGED, ACK, OTHER }

    public Kind kind;
    /** The queue's number, or for {@link Kind#LOGGED} the log group's. */
    public int queue;
    /** The queued packet's id, or for {@link Kind#LOGGED} the copy's number in its group. */
    public int packetId;
    public int hwProtocol;
    /** The netfilter hook: 1 = LOCAL_IN, 3 = LOCAL_OUT (NF_INET_*). */
    public int hook;
    public int mark;
    public int inDevice;
    public int outDevice;
    /** NFQA_SKB_INFO flags, see {@link Nfqueue#SKB_CSUM_NOT_READY}. */
    public int skbInfo;
    /** Where the IP packet starts in the receive buffer, -1 if the message carried none. */
    public int payloadOffset;
    public int payloadLength;
    /** For {@link Kind#ACK}: the sequence number of the acknowledged request. */
    public int ackSeq;

    void clear() {
        kind = Kind.OTHER;
        queue = -1;
        packetId = -1;
        hwProtocol = 0;
        hook = -1;
        mark = 0;
        inDevice = 0;
        outDevice = 0;
        skbInfo = 0;
        payloadOffset = -1;
        payloadLength = 0;
        ackSeq = 0;
    }

    public boolean checksumNotReady() {
        return (skbInfo & Nfqueue.SKB_CSUM_NOT_READY) != 0;
    }
}
