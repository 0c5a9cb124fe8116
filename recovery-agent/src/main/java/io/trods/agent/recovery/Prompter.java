package io.trods.agent.recovery;

import io.trods.agent.engine.SegmentSender;
import io.trods.agent.flow.FlowKey;
import io.trods.agent.flow.FlowRecord;
import io.trods.agent.flow.FlowStore;
import io.trods.agent.flow.StoreUnavailableException;
import io.trods.agent.packet.SegmentBuilder;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prompts the clients of a failed server so that recovery starts now, not when their backed-off
 * retransmission timers fire: a segment from the service's address with an old sequence number
 * (and no timestamp) is outside the client's window, and its TCP answers at once with a duplicate
 * ACK carrying its current position, which the balancer sends to a survivor. Flows are claimed from
 * the failed server's index, so that each client is prompted by one survivor; sending is
 * rate-limited, so that a large failure does not become a storm.
 */
public final class Prompter {

    private static final Logger log = LoggerFactory.getLogger(Prompter.class);
    private static final int BATCH = 100;

    /** Hears how many prompts went out. */
    public interface Listener {
        void prompted(String failedServer, int count);
    }

    private final FlowStore store;
    private final SegmentSender sender;
    private final int serviceAddress;
    private final int servicePort;
    private final int promptsPerSecond;
    private final Listener listener;
    private final byte[] segment = new byte[64];

    /**
     * @param serviceAddress the address the clients talk to (the VIP), as an int
     * @param servicePort the port they talk to
     */
    public Prompter(FlowStore store, SegmentSender sender, int serviceAddress, int servicePort, int promptsPerSecond,
            Listener listener) {
        this.store = store;
        this.sender = sender;
        this.serviceAddress = serviceAddress;
        this.servicePort = servicePort;
        this.promptsPerSecond = promptsPerSecond;
        this.listener = listener;
    }

    /** Claims and prompts the failed server's flows until none is left; returns how many. */
    public synchronized int promptClientsOf(String failedServer) {
        int sent = 0;
        long start = System.nanoTime();
        try {
            for (List<FlowKey> batch; !(batch = store.claimFlowsOf(failedServer, BATCH)).isEmpty(); ) {
                for (FlowKey key : batch) {
                    FlowRecord record = store.find(key).orElse(null);
                    if (record == null) {
                        continue; // ended meanwhile
                    }
                    pace(start, sent);
                    int length = SegmentBuilder.ack(segment, serviceAddress, servicePort, key.clientAddress(),
                            key.clientPort(), record.responseStart() - 1, record.requestStart(), 0, false, 0, 0);
                    sender.send(segment, length, key.clientAddress());
                    sent++;
                }
            }
        } catch (StoreUnavailableException e) {
            log.warn("prompting the clients of {} stopped after {}: {}", failedServer, sent, e.getMessage());
        }
        log.info("prompted {} clients of {}", sent, failedServer);
        listener.prompted(failedServer, sent);
        return sent;
    }

    private void pace(long start, int sent) {
        long due = start + TimeUnit.SECONDS.toNanos(sent) / promptsPerSecond;
        long wait = due - System.nanoTime();
        if (wait > 0) {
            try {
                TimeUnit.NANOSECONDS.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
