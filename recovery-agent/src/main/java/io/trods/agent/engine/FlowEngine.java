package io.trods.agent.engine;

import io.trods.agent.engine.EngineListener.Unprotected;
import io.trods.agent.flow.FlowKey;
import io.trods.agent.kernel.Ipv4;
import io.trods.agent.flow.FlowRecord;
import io.trods.agent.flow.FlowStore;
import io.trods.agent.flow.StoreUnavailableException;
import io.trods.agent.http.MalformedHttpException;
import io.trods.agent.http.Recoverability;
import io.trods.agent.http.RequestHead;
import io.trods.agent.http.ResponseHead;
import io.trods.agent.packet.SegmentBuilder;
import io.trods.agent.packet.SeqNum;
import io.trods.agent.packet.TcpOptions;
import io.trods.agent.packet.TcpSegment;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.LongSupplier;

/**
 * The normal path of the agent, one decision per segment of the local web server's connections:
 * learn the handshake, collect the request, find the response head, save the record before the
 * response's first byte leaves (write-ahead), and keep the request's last byte unacknowledged while
 * the response streams (the coerced retransmission of the paper). Pure logic: segments in, verdicts
 * out, the store behind an interface. Not thread-safe: one queue thread owns it.
 *
 * <p>Acknowledgements the server's kernel sends are capped: while a request is being collected or
 * its response has not been saved, at the request's first byte (a survivor then receives the whole
 * request again); while a saved response streams, at the request's last byte. SACK blocks of capped
 * segments are removed, or they would tell the client that its withheld byte arrived.
 *
 * <p>Once a response has streamed for a while (a second by default), the server's receive window is
 * also advertised as zero (unless turned off). A Linux client counts retransmissions of an unacknowledged byte against
 * tcp_retries2 and aborts the connection when they run out (about 15 minutes by default), even
 * while data arrives; with a zero window its retransmissions become window probes, and it gives up
 * only if nothing at all arrives for 2 x TCP_RTO_MAX (tcp_retransmit_timer's zero-window branch).
 * The client has nothing to send during a response anyway; the release at its end reopens the
 * window with the kernel's real one. Not from the start: a client that has read a short response
 * and wants to send its next request on the connection would wait, behind the zero window, for its
 * own delayed ACK and our release (measured: 1 KiB keep-alive requests fell from about 6,000 to
 * 1,400 per second); and a short response ends long before any retransmission budget runs out.
 *
 * <p>The bulk of a long response is the kernel's ({@link FastPath}): once its record is saved, the
 * engine hands over a lane that covers the response's segments short of its last megabyte and the
 * client's pure ACKs short of its end, and takes it back when the response ends. The engine still
 * sees the edges: the head, the tail, the client's data and FIN.
 */
public final class FlowEngine {

    /**
     * Request bytes the engine collects without acknowledging any. A client sends no more than its
     * initial congestion window without an ACK (at least 4,380 bytes by RFC 3390), so a larger
     * request head would wait forever: beyond this, the flow is let go, unprotected.
     */
    static final int MAX_UNACKNOWLEDGED_REQUEST = 4096;

    /**
     * The end of a response that stays on the Java path when the rest of it has a kernel lane
     * ({@link FastPath}): the engine must see the segment that carries the last byte and the
     * client's last ACK, to release the withheld byte with a current sequence number. A lane's
     * segment can reach up to a GSO packet past the lane's last sequence number, and a GSO packet
     * is 64 KiB (up to 512 KiB with BIG TCP), so 1 MiB leaves room. Responses shorter than twice
     * this get no lane: their crossings are few.
     */
    static final int FAST_PATH_TAIL = 1 << 20;

    /** Accept the segment as it is. */
    public static final int PASS = 0;
    /** Accept the segment, whose bytes were rewritten in place. */
    public static final int PASS_REWRITTEN = 1;
    /** Accept it and stop queueing this connection: nothing more to do for it in user space. */
    public static final int PASS_AND_FORGET = 2;
    /**
     * Keep the segment, unanswered and unchanged, until the save it waits for has settled (see
     * {@link #heldUnder()}); then give it to {@link #onServerSegment} again. The segment is the
     * response's first, or a later one of the same connection, which must not overtake it.
     */
    public static final int HOLD = 3;

    /**
     * How often a connection's saves put it in its server's index again (the index expires like
     * the records, record-ttl after its last write; far longer than this).
     */
    static final long REINDEX_NANOS = 10_000_000_000L;

    private final Map<Long, Flow> flows = new HashMap<>();
    private final FlowStore store;
    private final String serverId;
    private final int maxFlows;
    private final LongSupplier nanoClock;
    private final LongSupplier wallClock;
    private final EngineListener listener;
    private final TcpOptions options = new TcpOptions();
    private final SegmentSender sender;
    private final long zeroWindowAfterNanos;
    private final RecordKeeper keeper;
    private final byte[] release = new byte[64];
    private final FastPath fastPath;
    /** Saves under way, by hold token: the flows whose server segments are held. */
    private final Map<Long, Flow> saving = new HashMap<>();
    private long lastToken;
    private long heldUnder;

    public FlowEngine(FlowStore store, String serverId, int maxFlows, LongSupplier nanoClock, LongSupplier wallClock,
            EngineListener listener) {
        this(store, serverId, maxFlows, nanoClock, wallClock, listener, (segment, length, destination) -> { }, 0,
                new RecordKeeper() {
                    @Override
                    public PendingHandshake saveHandshake(FlowRecord record) {
                        return PendingHandshake.claimed();
                    }

                    @Override
                    public void delete(FlowKey key, String server) {
                        store.delete(key, server);
                    }
                });
    }

    /**
     * @param zeroWindowAfterNanos advertise a zero window once a response has streamed this long
     *     (see the class comment); negative: never
     * @param keeper saves handshake records and removes finished ones, off the packet thread
     */
    public FlowEngine(FlowStore store, String serverId, int maxFlows, LongSupplier nanoClock, LongSupplier wallClock,
            EngineListener listener, SegmentSender sender, long zeroWindowAfterNanos, RecordKeeper keeper) {
        this(store, serverId, maxFlows, nanoClock, wallClock, listener, sender, zeroWindowAfterNanos, keeper,
                FastPath.NONE);
    }

    /** @param fastPath where the bulk of a long response is handed to the kernel ({@link FastPath#NONE}: nowhere) */
    public FlowEngine(FlowStore store, String serverId, int maxFlows, LongSupplier nanoClock, LongSupplier wallClock,
            EngineListener listener, SegmentSender sender, long zeroWindowAfterNanos, RecordKeeper keeper,
            FastPath fastPath) {
        this.fastPath = fastPath;
        this.keeper = keeper;
        this.sender = sender;
        this.zeroWindowAfterNanos = zeroWindowAfterNanos;
        this.store = store;
        this.serverId = serverId;
        this.maxFlows = maxFlows;
        this.nanoClock = nanoClock;
        this.wallClock = wallClock;
        this.listener = listener;
    }

    public int trackedFlows() {
        return flows.size();
    }

    /**
     * At most {@code limit} tracked flows from position {@code offset} of the table's iteration
     * order (stable between calls while no flow comes or goes). Packet thread only: the table is
     * not shared.
     */
    public List<TrackedFlow> trackedFlows(int offset, int limit) {
        long now = nanoClock.getAsLong();
        List<TrackedFlow> page = new ArrayList<>(Math.min(limit, flows.size()));
        flows.values().stream().skip(offset).limit(limit).forEach(flow -> page.add(new TrackedFlow(
                Ipv4.of(flow.key.clientAddress()) + ":" + flow.key.clientPort(), flow.key.servicePort(),
                flow.phase.name(), flow.saved,
                flow.phase == Flow.Phase.STREAMING ? (now - flow.streamingSinceNanos) / 1_000_000 : 0,
                (now - flow.lastSeenNanos) / 1_000_000)));
        return page;
    }

    /** A segment from a client to the local web server. */
    public int onClientSegment(TcpSegment seg) {
        long id = FlowKey.packed(seg.srcAddress(), seg.srcPort(), seg.dstPort());
        Flow flow = flows.get(id);
        if (seg.has(TcpSegment.SYN) && !seg.has(TcpSegment.ACK)) {
            return open(seg, id, flow);
        }
        if (flow == null) {
            if (seg.payloadLength() > 0) {
                // A request the agent cannot protect. A bare ACK or FIN (say, one that was queued
                // behind the FIN that ended the flow) is no response: counted, it made the
                // "unprotected responses" alert fire in normal operation.
                listener.responseUnprotected(FlowKey.ofClientSegment(seg), Unprotected.UNTRACKED);
            }
            return PASS_AND_FORGET; // older than the agent, or not tracked: the kernel's business
        }
        flow.lastSeenNanos = nanoClock.getAsLong();
        flow.serverAddress = seg.dstAddress();
        if (flow.timestamps && options.parse(seg) && options.hasTimestamp) {
            flow.clientTsVal = options.tsVal;
        }
        if (seg.has(TcpSegment.RST) || seg.has(TcpSegment.FIN)) {
            return close(flow, seg.has(TcpSegment.RST)); // the client ends the connection: no record is needed any more
        }
        int verdict = PASS;
        if (flow.phase == Flow.Phase.STREAMING && seg.has(TcpSegment.ACK) && SeqNum.after(seg.ack(), flow.serverNext)) {
            if (flow.recovered) {
                verdict = catchUp(flow, seg);
            } else {
                flow.serverNext = seg.ack(); // sent through the kernel's lane, which the engine does not see
            }
        }
        if (flow.phase == Flow.Phase.STREAMING && seg.has(TcpSegment.ACK)
                && !SeqNum.before(seg.ack(), flow.bodyEnd)) {
            flow.phase = Flow.Phase.IDLE; // the client has it all: nothing to withhold any more
            flow.serverNext = SeqNum.max(flow.serverNext, seg.ack());
            closeLane(flow);
            if (!SeqNum.after(seg.seqEnd(), flow.requestEnd())) {
                release(flow);
            }
            // Else the ACK came with the next request (keep-alive): the client is not waiting, and
            // the kernel's next segment, capped at that request's first byte, acknowledges the
            // withheld one anyway. That saves a segment and a system call per small response.
        }
        int length = seg.payloadLength();
        if (length == 0) {
            return verdict;
        }
        return switch (flow.phase) {
            case HANDSHAKE -> verdict;
            case IDLE -> {
                if (!SeqNum.after(seg.seqEnd(), flow.requestEnd())) {
                    yield verdict; // the last request's bytes again (its withheld byte): nothing new
                }
                // A retransmission of the withheld byte may carry the next request with it (Linux
                // collapses retransmissions): the request starts after the byte, not at it.
                flow.startRequest(SeqNum.max(seg.seq(), flow.requestEnd()));
                yield collectRequest(flow, seg);
            }
            case AWAIT_REQUEST -> collectRequest(flow, seg);
            case AWAIT_RESPONSE, SAVING, STREAMING -> {
                if (SeqNum.after(seg.seqEnd(), flow.requestEnd())) {
                    yield forget(flow, Unprotected.PIPELINED); // another request before this response ended
                }
                yield verdict; // a retransmission of request bytes, such as the withheld one
            }
        };
    }

    /**
     * The client acknowledges bytes this server has not sent. That happens after a recovery: bytes
     * the failed server had sent were still on their way, the client kept those beyond a lost one,
     * and once the recovered connection fills the hole the client's acknowledgement jumps over them.
     * The recreated socket would drop such an ACK (data it never sent) and the download would stall
     * for good. So the ACK is lowered to what this server has sent, and its SACK blocks removed: the
     * socket goes on sending the object's bytes from where it is (the client already has some of
     * them and drops the copies, which are identical) until it catches up with the client.
     */
    private int catchUp(Flow flow, TcpSegment seg) {
        seg.setAck(flow.serverNext, false);
        if (options.parse(seg) && options.sackOffset >= 0) {
            seg.nopOut(options.sackOffset, options.sackLength, false);
        }
        return PASS_REWRITTEN;
    }

    private int open(TcpSegment seg, long id, Flow previous) {
        if (previous != null) {
            forget(previous, null);
        }
        FlowKey key = FlowKey.ofClientSegment(seg);
        if (flows.size() >= maxFlows) {
            listener.responseUnprotected(key, Unprotected.TABLE_FULL);
            return PASS_AND_FORGET;
        }
        Flow flow = new Flow(key);
        flow.clientIsn = seg.seq();
        if (options.parse(seg)) {
            flow.clientMss = options.mss;
            flow.clientWindowScale = options.windowScale;
            flow.clientSack = options.sackPermitted;
            flow.clientTimestamps = options.hasTimestamp;
        }
        flow.lastSeenNanos = nanoClock.getAsLong();
        flows.put(id, flow);
        listener.flowOpened(key);
        return PASS;
    }

    private int collectRequest(Flow flow, TcpSegment seg) {
        int skip = SeqNum.diff(flow.requestEnd(), seg.seq());
        int length = seg.payloadLength();
        if (skip < 0 || skip >= length) {
            return PASS; // a gap (its bytes come again: none is acknowledged) or nothing new
        }
        flow.append(seg.buffer(), seg.payloadOffset() + skip, length - skip);
        RequestHead head;
        try {
            head = RequestHead.parse(flow.request, 0, flow.requestLength);
        } catch (MalformedHttpException e) {
            return forget(flow, flow.requestLength >= 16 * 1024 ? Unprotected.REQUEST_TOO_LARGE
                    : Unprotected.MALFORMED_REQUEST);
        }
        if (head == null) {
            return flow.requestLength > MAX_UNACKNOWLEDGED_REQUEST ? forget(flow, Unprotected.REQUEST_TOO_LARGE) : PASS;
        }
        if (head.length() != flow.requestLength) {
            return forget(flow, Unprotected.PIPELINED);
        }
        Recoverability.Reason reason = Recoverability.requestReason(head);
        if (reason != null) {
            return forget(flow, reason);
        }
        flow.requestHead = head;
        flow.responseStart = flow.serverNext;
        flow.phase = Flow.Phase.AWAIT_RESPONSE;
        return PASS;
    }

    /**
     * A segment from the local web server to a client.
     *
     * @param checksumPartial the kernel will finish the checksum (locally generated, offloaded)
     */
    public int onServerSegment(TcpSegment seg, boolean checksumPartial) {
        long id = FlowKey.packed(seg.dstAddress(), seg.dstPort(), seg.srcPort());
        Flow flow = flows.get(id);
        if (flow == null) {
            return PASS_AND_FORGET;
        }
        flow.lastSeenNanos = nanoClock.getAsLong();
        if (flow.phase == Flow.Phase.SAVING) {
            heldUnder = flow.saveToken; // in order behind the response's first segment, whatever it is
            return HOLD;
        }
        if (seg.has(TcpSegment.RST)) {
            return close(flow, true);
        }
        if (seg.has(TcpSegment.FIN) && flow.phase == Flow.Phase.STREAMING
                && SeqNum.before(seg.seq() + seg.payloadLength(), flow.bodyEnd)) {
            // The server ends the connection before the body's last byte (nginx's send_timeout,
            // say): nothing more will come, and no survivor should continue what the server chose
            // to end. Capped, this FIN would leave the client's byte withheld behind a zero window
            // for good, and with it the client's own FIN (seen: the flow and its record outlived
            // the connection). It goes as the kernel wrote it.
            return close(flow, false);
        }
        if (seg.has(TcpSegment.SYN)) {
            return synAck(flow, seg);
        }
        if (flow.phase == Flow.Phase.HANDSHAKE) {
            // Its SYN-ACK was never seen (a copy the kernel could not deliver): without the
            // server's options the connection cannot be recreated, so it is not protected.
            return forget(flow, Unprotected.UNTRACKED);
        }
        if (flow.phase == Flow.Phase.IDLE && seg.has(TcpSegment.ACK) && SeqNum.after(seg.ack(), flow.requestEnd())) {
            // The server acknowledges a request the engine never saw (its copy was lost): what the
            // client now waits for is not in any record.
            return forget(flow, Unprotected.UNTRACKED);
        }
        if (flow.phase == Flow.Phase.AWAIT_RESPONSE && seg.payloadLength() > 0 && seg.seq() == flow.responseStart) {
            int verdict = responseStarts(flow, seg);
            if (verdict == PASS_AND_FORGET || verdict == HOLD) {
                return verdict;
            }
        }
        if (flow.parkedLane != null && flow.phase == Flow.Phase.STREAMING) {
            reopenLane(flow);
        }
        if (SeqNum.after(seg.seqEnd(), flow.serverNext)) {
            flow.serverNext = seg.seqEnd();
        }
        flow.serverWindow = seg.window();
        if (flow.timestamps && options.parse(seg) && options.hasTimestamp) {
            flow.serverTsVal = options.tsVal;
        }
        return cap(flow, seg, checksumPartial);
    }

    /**
     * Acknowledges the withheld byte at once, on the server's behalf, when the client has the whole
     * response: otherwise the server has nothing to send, and the client's next request or its FIN
     * would wait behind the byte until its backed-off retransmission timer fires. The segment is the
     * kernel's own next ACK: its sequence number, its last window and timestamp.
     */
    private void release(Flow flow) {
        int length = SegmentBuilder.ack(release, flow.serverAddress, flow.key.servicePort(), flow.key.clientAddress(),
                flow.key.clientPort(), flow.serverNext, flow.requestEnd(), flow.serverWindow, flow.timestamps,
                flow.serverTsVal, flow.clientTsVal);
        sender.send(release, length, flow.key.clientAddress());
    }

    private int synAck(Flow flow, TcpSegment seg) {
        if (!options.parse(seg)) {
            return forget(flow, Unprotected.UNTRACKED);
        }
        boolean scaling = flow.clientWindowScale >= 0 && options.windowScale >= 0;
        flow.serverWindowScale = scaling ? options.windowScale : -1;
        flow.clientWindowScale = scaling ? flow.clientWindowScale : -1;
        flow.sackPermitted = flow.clientSack && options.sackPermitted;
        flow.timestamps = flow.clientTimestamps && options.hasTimestamp;
        flow.serverNext = seg.seq() + 1;
        flow.startRequest(flow.clientIsn + 1);
        // The handshake's options, for a survivor that receives the request before its response was
        // saved (the HTTP-setup phase). Not write-ahead: none of the request is acknowledged until
        // the response's record is saved, so without this record the client only loses what it
        // would lose without TRODS. Saved if absent, in the background.
        flow.handshakeSave = keeper.saveHandshake(new FlowRecord(flow.key, serverId, flow.clientMss, flow.clientWindowScale,
                flow.serverWindowScale, flow.sackPermitted, flow.timestamps, flow.requestStart, new byte[0],
                flow.serverNext, new byte[0], wallClock.getAsLong()));
        flow.saved = true;
        return PASS;
    }

    private int responseStarts(Flow flow, TcpSegment seg) {
        ResponseHead head;
        try {
            head = ResponseHead.parse(seg.buffer(), seg.payloadOffset(), seg.payloadOffset() + seg.payloadLength());
        } catch (MalformedHttpException e) {
            return forget(flow, Unprotected.MALFORMED_RESPONSE);
        }
        if (head == null) {
            return forget(flow, Unprotected.RESPONSE_HEAD_SPLIT);
        }
        Recoverability.Verdict verdict = Recoverability.assess(flow.requestHead, head);
        if (!verdict.protectable()) {
            return forget(flow, verdict.reason());
        }
        byte[] responseHead = Arrays.copyOfRange(seg.buffer(), seg.payloadOffset(), seg.payloadOffset() + head.length());
        FlowRecord record = new FlowRecord(flow.key, serverId, flow.clientMss, flow.clientWindowScale,
                flow.serverWindowScale, flow.sackPermitted, flow.timestamps, flow.requestStart,
                Arrays.copyOf(flow.request, flow.requestLength), flow.responseStart, responseHead,
                wallClock.getAsLong());
        flow.saveStartNanos = nanoClock.getAsLong();
        flow.pendingObjectIsn = record.objectIsn();
        flow.pendingBodyLength = verdict.last() - verdict.first() + 1;
        flow.pendingResponseLength = head.length() + flow.pendingBodyLength;
        // Write-ahead: this segment leaves only after the record is durable. A store that answers
        // at once (tests, or a failure known at once) settles here; otherwise the segment is held.
        // The index entry is written by the first save of a connection and then only every
        // REINDEX_NANOS: a keep-alive connection's later responses cost one command, not three.
        boolean indexed = flow.indexedAtNanos != 0 && flow.saveStartNanos - flow.indexedAtNanos < REINDEX_NANOS;
        flow.pendingSaveIndexes = !indexed;
        if (flow.handshakeSave != null) {
            flow.handshakeSave.withdraw(); // this record supersedes it: if it has not gone yet, it never will
            flow.handshakeSave = null;
        }
        CompletableFuture<Void> save = store.saveAsync(record, indexed);
        if (save.isDone()) {
            return settle(flow, save) ? PASS : PASS_AND_FORGET;
        }
        flow.phase = Flow.Phase.SAVING;
        flow.pendingSave = save;
        flow.saveToken = ++lastToken;
        saving.put(flow.saveToken, flow);
        heldUnder = flow.saveToken;
        return HOLD;
    }

    /** The token of the save the last {@link #HOLD} waits for. */
    public long heldUnder() {
        return heldUnder;
    }

    /** The save a hold token waits for; null once settled. */
    public CompletableFuture<Void> pendingSave(long token) {
        Flow flow = saving.get(token);
        return flow == null ? null : flow.pendingSave;
    }

    /**
     * The save of a hold token has completed: the flow streams protected, or is let go
     * unprotected. Call before giving the held segments back to {@link #onServerSegment}. A flow
     * that ended while its record was being saved gets the record removed again.
     */
    public void saveSettled(long token) {
        Flow flow = saving.remove(token);
        if (flow == null) {
            return;
        }
        CompletableFuture<Void> save = flow.pendingSave;
        flow.pendingSave = null;
        if (flows.get(flow.key.packed()) != flow || flow.phase != Flow.Phase.SAVING) {
            if (!save.isCompletedExceptionally()) {
                keeper.delete(flow.key, serverId);
            }
            return;
        }
        settle(flow, save);
    }

    /** Applies a completed save: protected and streaming, or forgotten; returns which. */
    private boolean settle(Flow flow, CompletableFuture<Void> save) {
        try {
            save.join();
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            Throwable cause = e.getCause() instanceof StoreUnavailableException ? e.getCause() : e;
            listener.saveFailed(flow.key, cause instanceof RuntimeException r ? r
                    : new StoreUnavailableException("save failed: " + cause, cause));
            forget(flow, Unprotected.STORE_UNAVAILABLE);
            return false;
        }
        flow.saved = true;
        if (flow.pendingSaveIndexes) {
            flow.indexedAtNanos = flow.saveStartNanos;
        }
        flow.bodyEnd = flow.pendingObjectIsn + (int) flow.pendingBodyLength;
        flow.phase = Flow.Phase.STREAMING;
        flow.streamingSinceNanos = nanoClock.getAsLong();
        listener.responseProtected(flow.key, flow.streamingSinceNanos - flow.saveStartNanos);
        openLane(flow, flow.pendingResponseLength);
        return true;
    }

    /**
     * Hands the bulk of a long response to the kernel: its segments up to the last
     * {@link #FAST_PATH_TAIL} bytes, and the client's pure ACKs short of the end. Not for a
     * recovered connection, whose client may acknowledge bytes this socket has not sent yet (see
     * {@link #catchUp}): the engine must see those ACKs.
     */
    private void openLane(Flow flow, long responseLength) {
        if (fastPath == FastPath.NONE || flow.recovered || responseLength < 2L * FAST_PATH_TAIL
                || responseLength >= 1L << 31) {
            return;
        }
        flow.lane = new FastPath.Lane(flow.key.clientAddress(), flow.key.clientPort(), flow.responseStart,
                flow.bodyEnd - FAST_PATH_TAIL, flow.requestEnd() - 1, flow.responseStart, flow.bodyEnd - 1);
        flow.laneZeroesWindow = false;
        fastPath.stream(flow.lane);
    }

    /** Takes the flow's lane out of the kernel, if it has one. */
    private void closeLane(Flow flow) {
        if (flow.lane != null) {
            fastPath.end(flow.lane);
        }
        flow.lane = null;
        flow.parkedLane = null;
        flow.laneZeroesWindow = false;
    }

    /** A flow whose lane the idle sweep took out shows life again: the lane goes back in. */
    private void reopenLane(Flow flow) {
        flow.lane = flow.parkedLane;
        flow.parkedLane = null;
        fastPath.stream(flow.lane);
        if (flow.laneZeroesWindow) {
            fastPath.zeroWindow(flow.lane);
        }
    }


    /** Keeps the server's acknowledgement at or below what the phase allows. */
    private int cap(Flow flow, TcpSegment seg, boolean checksumPartial) {
        int limit;
        switch (flow.phase) {
            case AWAIT_REQUEST, AWAIT_RESPONSE -> limit = flow.requestStart;
            case STREAMING -> limit = flow.requestEnd() - 1;
            default -> {
                return PASS;
            }
        }
        if (!seg.has(TcpSegment.ACK) || !SeqNum.after(seg.ack(), limit)) {
            return PASS;
        }
        seg.setAck(limit, checksumPartial);
        if (zeroWindowAfterNanos >= 0 && flow.phase == Flow.Phase.STREAMING
                && nanoClock.getAsLong() - flow.streamingSinceNanos >= zeroWindowAfterNanos) {
            seg.setWindow(0, checksumPartial);
        }
        if (options.parse(seg) && options.sackOffset >= 0) {
            seg.nopOut(options.sackOffset, options.sackLength, checksumPartial);
        }
        return PASS_REWRITTEN;
    }

    /**
     * The connection ended. After a reset its record goes a little later ({@link RecordKeeper#delete(FlowKey, String, boolean)}):
     * at a server wrongly declared failed, the client resets the server's connection while a
     * survivor takes it over, and the survivor may not have made the record its own yet.
     */
    private int close(Flow flow, boolean reset) {
        forget(flow, null, reset);
        return PASS_AND_FORGET;
    }

    /** Stops tracking a flow and removes its record; with a reason, counts it as unprotected. */
    private int forget(Flow flow, Enum<?> reason) {
        return forget(flow, reason, false);
    }

    private int forget(Flow flow, Enum<?> reason, boolean reset) {
        flows.remove(flow.key.packed());
        closeLane(flow);
        if (reason != null) {
            listener.responseUnprotected(flow.key, reason);
        }
        if (flow.handshakeSave != null && flow.handshakeSave.withdraw()) {
            flow.saved = false; // the handshake's record was never sent, and no response was saved
        }
        if (flow.saved) {
            try {
                keeper.delete(flow.key, serverId, reset);
            } catch (StoreUnavailableException e) {
                listener.saveFailed(flow.key, e); // the record's expiry removes it later
            }
        }
        listener.flowClosed(flow.key);
        return PASS_AND_FORGET;
    }

    /**
     * Takes over a recovered connection as a protected, streaming one, before its recreated socket
     * sends anything: the recreated socket's segments are capped like the original server's were,
     * so the same download survives a second failure.
     */
    public void adopt(RecoveryPlan plan) {
        FlowRecord record = plan.record();
        Flow flow = adopted(record, record.requestStart(), plan.sendSeq());
        flow.append(record.request(), 0, record.request().length);
        flow.responseStart = record.responseStart();
        flow.bodyEnd = plan.bodyEnd();
        flow.phase = Flow.Phase.STREAMING;
        flow.streamingSinceNanos = flow.lastSeenNanos - Math.max(0, zeroWindowAfterNanos); // long under way
    }

    /**
     * Takes over a connection recovered in its HTTP-setup phase: the client's request has not been
     * acknowledged and comes again to the recreated socket; it is collected and its response
     * protected as on any connection.
     */
    public void adoptSetup(FlowRecord record, int serverNext) {
        adopted(record, record.requestStart(), serverNext);
    }

    /**
     * Takes over a connection that was idle between two responses: the next request starts where the
     * last one ended, and is collected and protected as on any connection.
     */
    public void adoptIdle(FlowRecord record, int serverNext) {
        adopted(record, record.requestEnd(), serverNext);
    }

    /** A tracked flow with the record's options, its request starting at {@code requestStart}. */
    private Flow adopted(FlowRecord record, int requestStart, int serverNext) {
        Flow flow = new Flow(record.key());
        flow.clientMss = record.clientMss();
        flow.clientWindowScale = record.clientWindowScale();
        flow.serverWindowScale = record.serverWindowScale();
        flow.sackPermitted = record.sackPermitted();
        flow.timestamps = record.timestamps();
        flow.startRequest(requestStart);
        flow.serverNext = serverNext;
        flow.saved = true;
        flow.recovered = true;
        flow.lastSeenNanos = nanoClock.getAsLong();
        Flow previous = flows.put(record.key().packed(), flow);
        if (previous != null) {
            closeLane(previous);
            listener.flowClosed(previous.key);
        }
        listener.flowOpened(record.key());
        return flow;
    }

    /** Whether the engine tracks this connection (for example because it was just recovered). */
    public boolean tracks(FlowKey key) {
        return flows.containsKey(key.packed());
    }

    /** Forgets an adopted flow whose recovery did not happen (the record stays for another try). */
    public void abandon(FlowKey key) {
        Flow flow = flows.remove(key.packed());
        if (flow != null) {
            closeLane(flow);
            listener.flowClosed(key);
        }
    }

    /**
     * Drops flows without a segment for {@code idleNanos}; returns how many. Runs about once a
     * second, so it also gives the kernel's lanes their zero window once their response has
     * streamed long enough. A flow with a lane shows no segments while the kernel carries them: it
     * is not dropped but its lane is taken out, and it gets another idle period to show up on the
     * Java path, where its next segment puts the lane back.
     */
    public int sweep(long idleNanos) {
        long now = nanoClock.getAsLong();
        int removed = 0;
        for (Iterator<Flow> it = flows.values().iterator(); it.hasNext(); ) {
            Flow flow = it.next();
            if (now - flow.lastSeenNanos > idleNanos) {
                if (flow.lane != null) {
                    fastPath.end(flow.lane);
                    flow.parkedLane = flow.lane;
                    flow.lane = null;
                    flow.lastSeenNanos = now;
                    continue;
                }
                it.remove();
                closeLane(flow);
                removed++;
                listener.flowClosed(flow.key);
            } else if (flow.lane != null && !flow.laneZeroesWindow && zeroWindowAfterNanos >= 0
                    && flow.phase == Flow.Phase.STREAMING && now - flow.streamingSinceNanos >= zeroWindowAfterNanos) {
                fastPath.zeroWindow(flow.lane);
                flow.laneZeroesWindow = true;
            }
        }
        return removed;
    }
}
