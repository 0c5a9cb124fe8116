package io.trods.agent.flow;

import java.util.Arrays;

/**
 * Everything a surviving server needs to continue a client's connection, saved once per response
 * before its first byte leaves (write-ahead). Sequence numbers are the client's connection's own
 * (BRIEF rule 5), so the record stays valid however many servers carry the connection in turn.
 * What can be derived (ObjectISN, the validator, the byte range) is not stored: it is parsed again
 * from the saved heads, by the same code that decided to protect the response.
 *
 * @param key the connection
 * @param server the id of the server that carries the connection now (the index key)
 * @param clientMss the MSS the client announced, -1 if unknown
 * @param clientWindowScale the client's window scale, -1 if it did not offer scaling
 * @param serverWindowScale the window scale the server announced to the client, -1 if none
 * @param sackPermitted whether SACK was negotiated
 * @param timestamps whether timestamps were negotiated
 * @param requestStart client sequence number of the request's first byte
 * @param request the request head, as sent
 * @param responseStart server sequence number of the response's first byte
 * @param responseHead the response head, as sent (replayed if the client lacks part of it)
 * @param savedAtMillis wall-clock time of the save
 */
public record FlowRecord(FlowKey key, String server, int clientMss, int clientWindowScale, int serverWindowScale,
        boolean sackPermitted, boolean timestamps, int requestStart, byte[] request, int responseStart,
        byte[] responseHead, long savedAtMillis) {

    /** Client sequence number just after the request: what the recovered socket expects next. */
    public int requestEnd() {
        return requestStart + request.length;
    }

    /** Server sequence number of the first body byte (the paper's ObjectISN). */
    public int objectIsn() {
        return responseStart + responseHead.length;
    }

    /** The same record, now carried by another server. */
    public FlowRecord carriedBy(String newServer, long now) {
        return new FlowRecord(key, newServer, clientMss, clientWindowScale, serverWindowScale, sackPermitted,
                timestamps, requestStart, request, responseStart, responseHead, now);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof FlowRecord r && key.equals(r.key) && server.equals(r.server) && clientMss == r.clientMss
                && clientWindowScale == r.clientWindowScale && serverWindowScale == r.serverWindowScale
                && sackPermitted == r.sackPermitted && timestamps == r.timestamps && requestStart == r.requestStart
                && Arrays.equals(request, r.request) && responseStart == r.responseStart
                && Arrays.equals(responseHead, r.responseHead) && savedAtMillis == r.savedAtMillis;
    }

    @Override
    public int hashCode() {
        return key.hashCode() * 31 + requestStart;
    }

    @Override
    public String toString() {
        return "FlowRecord[" + key + " on " + server + ", request " + request.length + " B at "
                + Integer.toUnsignedString(requestStart) + ", response at " + Integer.toUnsignedString(responseStart) + "]";
    }
}
