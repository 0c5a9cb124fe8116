package io.trods.agent.engine;

import io.trods.agent.flow.FlowKey;
import io.trods.agent.http.RequestHead;

/** What the agent knows of one connection to the local web server; owned by {@link FlowEngine}. */
final class Flow {

    /** Where the connection stands; decides what outgoing acknowledgements may say. */
    enum Phase {
        /** SYN seen, SYN-ACK not yet. */
        HANDSHAKE,
        /** Collecting a request; none of its bytes may be acknowledged. */
        AWAIT_REQUEST,
        /** The request is complete; its response has not started; still nothing acknowledged. */
        AWAIT_RESPONSE,
        /**
         * The response's first segment is here and its record on the way to the store: the
         * server's segments wait (held in their queue) until the record is durable.
         */
        SAVING,
        /** The response is protected: saved, and the request's last byte withheld. */
        STREAMING,
        /** The client has the whole response; nothing withheld until the next request. */
        IDLE,
    }

    final FlowKey key;
    Phase phase = Phase.HANDSHAKE;

    int clientIsn;
    int clientMss = -1;
    int clientWindowScale = -1;
    boolean clientSack;
    boolean clientTimestamps;
    int serverWindowScale = -1;
    boolean sackPermitted;
    boolean timestamps;

    int requestStart;
    byte[] request = new byte[512];
    int requestLength;
    RequestHead requestHead;

    /** Sequence number after the last byte the server sent. */
    int serverNext;
    int responseStart;
    /** Server sequence number after the response's last body byte. */
    int bodyEnd;
    /** This server's address as the client's segments arrive (NAT: the server's own, DR: the VIP). */
    int serverAddress;
    /** The window field of the server's last segment, and its last TSval; the client's last TSval. */
    int serverWindow;
    int serverTsVal;
    int clientTsVal;
    /** When the response started to stream (System.nanoTime()). */
    long streamingSinceNanos;
    /** A record of this flow is in the store. */
    boolean saved;
    /** The handshake's record while the keeper may still withdraw it; null once a response is saved. */
    PendingHandshake handshakeSave;
    long lastSeenNanos;
    /**
     * The kernel's fast path for the streaming response, null when it has none. Segments it
     * handles never reach the engine, so {@link #serverNext} and {@link #lastSeenNanos} lag
     * behind while it is in place.
     */
    FastPath.Lane lane;
    /** The lane also zeroes the window. */
    boolean laneZeroesWindow;
    /** The lane taken out by the idle sweep, to be put back when the flow shows life. */
    FastPath.Lane parkedLane;
    /** While SAVING: the save, the hold's token, and what the response's record says. */
    java.util.concurrent.CompletableFuture<Void> pendingSave;
    long saveToken;
    long saveStartNanos;
    /** Whether the save in flight also puts the flow in its server's index. */
    boolean pendingSaveIndexes;
    /** When a save of this connection last put it in the index (0: never). */
    long indexedAtNanos;
    int pendingObjectIsn;
    long pendingBodyLength;
    long pendingResponseLength;
    /** Recreated on this server after a failure: its client may acknowledge bytes not sent here. */
    boolean recovered;

    Flow(FlowKey key) {
        this.key = key;
    }

    int requestEnd() {
        return requestStart + requestLength;
    }

    void append(byte[] src, int offset, int length) {
        if (requestLength + length > request.length) {
            request = java.util.Arrays.copyOf(request, Math.max(request.length * 2, requestLength + length));
        }
        System.arraycopy(src, offset, request, requestLength, length);
        requestLength += length;
    }

    void startRequest(int seq) {
        requestStart = seq;
        requestLength = 0;
        requestHead = null;
        phase = Phase.AWAIT_REQUEST;
    }
}
