package io.trods.agent.engine;

/**
 * The kernel's share of the normal path while a saved response streams. The bulk of a response
 * needs nothing from user space but the same rewrite on every segment (the acknowledgement capped
 * at the withheld byte, later a zero window), and the client's pure ACKs in the middle of it need
 * nothing at all; crossing to Java and back for each of them halved the throughput of a large
 * download. So the engine hands the kernel a lane per streaming response: the ranges of sequence
 * and acknowledgement numbers where the kernel does the rewrite itself and lets the ACKs through.
 * The segments at the edges (the response's head, its last megabyte, the client's data and FIN)
 * keep coming to the engine, which sees the end of the response and releases the withheld byte as
 * before.
 *
 * <p>Every call is asynchronous and may be late or lost: until a lane is in the kernel, its segments
 * come to the engine, which does the same rewrite; a lane the kernel still holds after the response
 * covers only sequence numbers that are behind the connection, and expires. Nothing here is needed
 * for correctness, only for speed.
 */
public interface FastPath {

    /** No fast path: every segment comes to the engine. */
    FastPath NONE = new FastPath() {
        @Override
        public void stream(Lane lane) {
        }

        @Override
        public void zeroWindow(Lane lane) {
        }

        @Override
        public void end(Lane lane) {
        }
    };

    /**
     * From now on the server's segments to this client with a sequence number in
     * [{@code seqFirst}, {@code seqLast}] leave with their acknowledgement set to {@code cappedAck}
     * and their SACK option blanked, and the client's pure ACKs with an acknowledgement number in
     * [{@code ackFirst}, {@code ackLast}] reach the socket without being queued.
     */
    void stream(Lane lane);

    /** The lane's server segments also advertise a zero receive window from now on. */
    void zeroWindow(Lane lane);

    /** Removes the lane (both its rewrite and its zero window, whichever the kernel holds). */
    void end(Lane lane);

    /**
     * One streaming response of one connection. Ranges are inclusive and in sequence space: they
     * may wrap past 2^32, which the implementation handles.
     */
    record Lane(int clientAddress, int clientPort, int seqFirst, int seqLast, int cappedAck, int ackFirst,
            int ackLast) {
    }
}
