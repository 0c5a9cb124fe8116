package io.trods.agent.recovery;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Unknown flows whose store lookup could not be made (the lookups on the wire at their limit) or
 * was not answered (Redis slow, failing over or down). A packet beyond the lookup rate is not one
 * of them: that is a flood, which the kernel answers at once. Accepting such a packet
 * lets the kernel reset a connection that may well be recoverable a moment later; dropping it
 * costs nothing, since the client sends again (its retransmission, its answer to a follow-up
 * prompt) and that packet tries the lookup again. So a flow's packets are dropped for at most
 * {@code window} from its first failure; after that the kernel answers, as it would without us.
 * At most {@code capacity} flows wait at a time (a flood must not make this server remember
 * anyone who asks): beyond that, the kernel answers at once. Packet thread only.
 */
public final class LookupRetries {

    /** Never retry: the kernel answers the first failed lookup's packet. */
    public static final LookupRetries NONE = new LookupRetries(0, 0);

    private final long windowNanos;
    private final int capacity;
    /** Flow (packed key) to the time of its first failure, oldest first. */
    private final LinkedHashMap<Long, Long> waiting = new LinkedHashMap<>();

    public LookupRetries(long windowNanos, int capacity) {
        this.windowNanos = windowNanos;
        this.capacity = capacity;
    }

    /**
     * The flow's lookup failed now: true to drop this packet (the client's next one tries again),
     * false to give up and let the kernel answer it.
     */
    public boolean retryLater(long flow, long now) {
        Long first = waiting.get(flow);
        if (first != null) {
            if (now - first < windowNanos) {
                return true;
            }
            waiting.remove(flow);
            return false;
        }
        expire(now);
        if (windowNanos <= 0 || waiting.size() >= capacity) {
            return false;
        }
        waiting.put(flow, now);
        return true;
    }

    /** The flow's lookup was answered: it no longer waits. */
    public void answered(long flow) {
        if (!waiting.isEmpty()) {
            waiting.remove(flow);
        }
    }

    /** Flows waiting for another try, for tests. */
    public int waiting() {
        return waiting.size();
    }

    /** Forgets the flows whose window has passed (the oldest come first). */
    private void expire(long now) {
        for (Iterator<Map.Entry<Long, Long>> it = waiting.entrySet().iterator(); it.hasNext(); ) {
            if (now - it.next().getValue() < windowNanos) {
                return;
            }
            it.remove();
        }
    }
}
