package io.trods.agent.kernel;

import java.net.Inet4Address;
import java.util.Objects;

/**
 * What it takes to recreate a client's established connection on this host: the 4-tuple as this
 * server sees it, both sequence positions and what the handshake negotiated. Sequence numbers and
 * timestamps are unsigned 32-bit values held in an {@code int}.
 *
 * @param localAddress our address (the VIP the client talks to); must be local to this host
 * @param localPort our port
 * @param remoteAddress the client's address
 * @param remotePort the client's port
 * @param sendSeq the next sequence number we send: the client's ACK
 * @param recvSeq the next sequence number we expect from the client
 * @param mss the MSS the client announced in its SYN
 * @param sndWscale the client's window scale: how we scale the windows it advertises
 * @param rcvWscale our window scale, as announced to the client in the original SYN-ACK
 * @param sackPermitted whether SACK was negotiated
 * @param timestamps whether timestamps were negotiated
 * @param tsVal the TSval our next segment carries; must not be below the last TSval the client saw
 *     (PAWS). Rounded up to even: the kernel takes bit 0 as "microsecond timestamps"
 * @param tsEcr the client's last TSval. Linux has no way to set it (ts_recent); it is kept for the
 *     caller's bookkeeping. Our first segments echo 0 until the client's reply to the window probe
 * @param peerWindow the window field of the client's last segment, not scaled
 */
public record RepairSpec(
        Inet4Address localAddress, int localPort,
        Inet4Address remoteAddress, int remotePort,
        int sendSeq, int recvSeq,
        int mss, int sndWscale, int rcvWscale,
        boolean sackPermitted, boolean timestamps, int tsVal, int tsEcr,
        int peerWindow) {

    /** The kernel's TCP_MIN_MSS: TCP_MAXSEG refuses less. */
    public static final int MIN_MSS = 88;
    /** RFC 7323's limit, also the kernel's TCP_MAX_WSCALE. */
    public static final int MAX_WSCALE = 14;

    public RepairSpec {
        Objects.requireNonNull(localAddress, "localAddress");
        Objects.requireNonNull(remoteAddress, "remoteAddress");
        requireRange("localPort", localPort, 1, 0xFFFF);
        requireRange("remotePort", remotePort, 1, 0xFFFF);
        requireRange("mss", mss, MIN_MSS, 0xFFFF);
        requireRange("sndWscale", sndWscale, 0, MAX_WSCALE);
        requireRange("rcvWscale", rcvWscale, 0, MAX_WSCALE);
        requireRange("peerWindow", peerWindow, 0, 0xFFFF);
    }

    /** The same connection at another position, e.g. for a later failover. */
    public RepairSpec withSequences(int newSendSeq, int newRecvSeq) {
        return new RepairSpec(localAddress, localPort, remoteAddress, remotePort, newSendSeq, newRecvSeq,
                mss, sndWscale, rcvWscale, sackPermitted, timestamps, tsVal, tsEcr, peerWindow);
    }

    public RepairSpec withTimestamps(int newTsVal, int newTsEcr) {
        return new RepairSpec(localAddress, localPort, remoteAddress, remotePort, sendSeq, recvSeq,
                mss, sndWscale, rcvWscale, sackPermitted, timestamps, newTsVal, newTsEcr, peerWindow);
    }

    @Override
    public String toString() {
        return "RepairSpec[" + localAddress.getHostAddress() + ':' + localPort
                + " <- " + remoteAddress.getHostAddress() + ':' + remotePort
                + ", sendSeq=" + Integer.toUnsignedString(sendSeq) + ", recvSeq=" + Integer.toUnsignedString(recvSeq)
                + ", mss=" + mss + ", wscale=" + sndWscale + '/' + rcvWscale + ", sack=" + sackPermitted
                + (timestamps ? ", tsVal=" + Integer.toUnsignedString(tsVal) + ", tsEcr=" + Integer.toUnsignedString(tsEcr)
                        : ", no timestamps")
                + ", peerWindow=" + peerWindow + ']';
    }

    private static void requireRange(String name, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "], was " + value);
        }
    }
}
