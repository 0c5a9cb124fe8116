package io.trods.agent.engine;

import io.trods.agent.flow.FlowRecord;
import io.trods.agent.http.MalformedHttpException;
import io.trods.agent.http.Recoverability;
import io.trods.agent.http.RequestHead;
import io.trods.agent.http.ResponseHead;
import io.trods.agent.packet.SeqNum;
import io.trods.agent.packet.TcpOptions;
import io.trods.agent.packet.TcpSegment;

/**
 * How to continue one client's connection on this server, worked out from its saved record and the
 * client packet that reached us (BRIEF section 5): where the client stands (its ACK), what it still
 * lacks of the response head, which object bytes to ask the local server for, and the TCP state to
 * recreate. Pure; {@link #of} refuses anything that does not add up, and the caller then lets the
 * kernel answer the packet as it would (a reset), never splicing a guess.
 *
 * @param record the saved record
 * @param sendSeq our next sequence number: the client's ACK
 * @param recvSeq the sequence number we expect next from the client: just after its request
 * @param headToReplay bytes of the saved response head that the client has not acknowledged
 * @param first first object byte to fetch (inclusive)
 * @param last last object byte to fetch (inclusive)
 * @param complete the object's complete length as first served, -1 if unknown
 * @param validator If-Range value
 * @param target request target to fetch
 * @param host Host to send
 * @param tsVal the TSval to continue from (PAWS), 0 without timestamps
 * @param tsEcr the client's TSval, to echo
 * @param peerWindow the client's window field, unscaled
 */
public record RecoveryPlan(FlowRecord record, int sendSeq, int recvSeq, byte[] headToReplay, long first, long last,
        long complete, String validator, String target, String host, int tsVal, int tsEcr, int peerWindow) {

    /** Why a packet and a record do not make a recovery. */
    public static final class Refusal extends Exception {

        private static final long serialVersionUID = 1L;

        Refusal(String message) {
            super(message, null, false, false);
        }
    }

    /** Server sequence number just after the response's last body byte. */
    public int bodyEnd() {
        return sendSeq + headToReplay.length + (int) remaining();
    }

    /**
     * Server sequence number after the response's last body byte, from a record alone; -1 if the
     * record's heads do not make a recoverable response.
     */
    public static int bodyEnd(FlowRecord record) {
        try {
            RequestHead request = RequestHead.parse(record.request(), 0, record.request().length);
            ResponseHead response = ResponseHead.parse(record.responseHead(), 0, record.responseHead().length);
            if (request == null || response == null) {
                return -1;
            }
            Recoverability.Verdict verdict = Recoverability.assess(request, response);
            return verdict.protectable() ? record.objectIsn() + (int) (verdict.last() - verdict.first() + 1) : -1;
        } catch (MalformedHttpException e) {
            return -1;
        }
    }

    /** Body bytes still to send. */
    public long remaining() {
        return last - first + 1;
    }

    /**
     * @param segment the client's packet, as received (its ACK says what it has)
     * @param options that packet's options, parsed
     */
    public static RecoveryPlan of(FlowRecord record, TcpSegment segment, TcpOptions options) throws Refusal {
        if (!segment.has(TcpSegment.ACK)) {
            throw new Refusal("the packet acknowledges nothing");
        }
        RequestHead request;
        ResponseHead response;
        try {
            request = RequestHead.parse(record.request(), 0, record.request().length);
            response = ResponseHead.parse(record.responseHead(), 0, record.responseHead().length);
        } catch (MalformedHttpException e) {
            throw new Refusal("the saved heads do not parse: " + e.getMessage());
        }
        if (request == null || response == null || response.length() != record.responseHead().length) {
            throw new Refusal("the saved heads are incomplete");
        }
        Recoverability.Verdict verdict = Recoverability.assess(request, response);
        if (!verdict.protectable()) {
            throw new Refusal("the saved response is not recoverable: " + verdict.reason());
        }
        int ack = segment.ack();
        int bodyEnd = record.objectIsn() + (int) (verdict.last() - verdict.first() + 1);
        if (SeqNum.before(ack, record.responseStart()) || SeqNum.after(ack, bodyEnd)) {
            throw new Refusal("ACK " + Integer.toUnsignedString(ack) + " is outside the saved response");
        }
        if (ack == bodyEnd) {
            throw new Refusal("the client has the whole response: nothing to continue (an idle connection is adopted instead)");
        }
        int inHead = SeqNum.diff(ack, record.responseStart());
        byte[] headToReplay = inHead < record.responseHead().length
                ? java.util.Arrays.copyOfRange(record.responseHead(), inHead, record.responseHead().length)
                : new byte[0];
        long offset = Math.max(0, SeqNum.diff(ack, record.objectIsn()));
        int tsVal = 0;
        int tsEcr = 0;
        if (record.timestamps()) {
            if (!options.hasTimestamp) {
                throw new Refusal("timestamps were negotiated but the packet carries none");
            }
            // The client's echo is the last TSval it accepted; continue just above it (PAWS).
            tsVal = options.tsEcr + 2;
            tsEcr = options.tsVal;
        }
        return new RecoveryPlan(record, ack, record.requestEnd(), headToReplay, verdict.first() + offset,
                verdict.last(), response.contentRange() != null ? response.contentRange().complete()
                        : response.contentLength(),
                verdict.validator(), request.target(), request.host(), tsVal, tsEcr, segment.window());
    }
}
