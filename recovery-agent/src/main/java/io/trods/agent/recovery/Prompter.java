package io.trods.agent.recovery;

import io.trods.agent.engine.SegmentSender;
import io.trods.agent.flow.FlowKey;
import io.trods.agent.flow.FlowRecord;
import io.trods.agent.flow.FlowStore;
import io.trods.agent.flow.StoreUnavailableException;
import io.trods.agent.packet.SegmentBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
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
    private final ScheduledExecutorService followUps;
    private final long followUpMillis;
    private final long followUpMaxMillis;
    private final int followUpRounds;

    /**
     * @param serviceAddress the address the clients talk to (the VIP), as an int
     * @param servicePort the port they talk to
     */
    public Prompter(FlowStore store, SegmentSender sender, int serviceAddress, int servicePort, int promptsPerSecond,
            Listener listener) {
        this(store, sender, serviceAddress, servicePort, promptsPerSecond, listener, null, 0, 0, 0);
    }

    /**
     * @param followUps where the follow-up rounds run (null: none). A prompt or its answer can be
     *     lost (a congested link drops it like any other segment), and the client then waits for its
     *     backed-off timer: measured 43 s for 5 of 100 flows. So a flow still carried by the failed
     *     server is prompted again {@code followUpMillis} after its prompt, then after twice as long
     *     each round up to {@code followUpMaxMillis}, up to {@code rounds} times.
     */
    public Prompter(FlowStore store, SegmentSender sender, int serviceAddress, int servicePort, int promptsPerSecond,
            Listener listener, ScheduledExecutorService followUps, long followUpMillis, long followUpMaxMillis,
            int rounds) {
        this.followUps = followUps;
        this.followUpMillis = followUpMillis;
        this.followUpMaxMillis = Math.max(followUpMillis, followUpMaxMillis);
        this.followUpRounds = rounds;
        this.store = store;
        this.sender = sender;
        this.serviceAddress = serviceAddress;
        this.servicePort = servicePort;
        this.promptsPerSecond = promptsPerSecond;
        this.listener = listener;
    }

    /** Claims and prompts the failed server's flows until none is left; returns how many. */
    public int promptClientsOf(String failedServer) {
        return promptClientsOf(failedServer, 1);
    }

    private synchronized int promptClientsOf(String failedServer, int attempt) {
        List<FlowRecord> prompted = new ArrayList<>();
        long start = System.nanoTime();
        try {
            for (List<FlowKey> batch; !(batch = store.claimFlowsOf(failedServer, BATCH)).isEmpty(); ) {
                for (FlowRecord record : store.findAll(batch)) {
                    if (record == null) {
                        continue; // ended meanwhile
                    }
                    pace(start, prompted.size());
                    prompt(record);
                    prompted.add(record);
                }
            }
        } catch (StoreUnavailableException e) {
            log.warn("prompting the clients of {} stopped after {}: {}", failedServer, prompted.size(), e.getMessage());
            // Redis slow or failing over just as a server died: the flows not claimed yet stay in
            // its index, and without prompts they would wait for their clients' backed-off timers.
            claimAgain(failedServer, attempt);
        }
        log.info("prompted {} clients of {}", prompted.size(), failedServer);
        listener.prompted(failedServer, prompted.size());
        scheduleFollowUp(failedServer, prompted, 1);
        return prompted.size();
    }

    private void prompt(FlowRecord record) {
        FlowKey key = record.key();
        int length = SegmentBuilder.ack(segment, serviceAddress, servicePort, key.clientAddress(), key.clientPort(),
                record.responseStart() - 1, record.requestStart(), 0, false, 0, 0);
        sender.send(segment, length, key.clientAddress());
    }

    private void claimAgain(String failedServer, int attempt) {
        if (followUps == null || attempt > followUpRounds) {
            return;
        }
        try {
            followUps.schedule(() -> promptClientsOf(failedServer, attempt + 1), followUpDelayMillis(attempt),
                    TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            log.debug("no second claim of the clients of {}: stopping", failedServer);
        }
    }

    private void scheduleFollowUp(String failedServer, List<FlowRecord> prompted, int round) {
        if (followUps == null || round > followUpRounds || prompted.isEmpty()) {
            return;
        }
        try {
            followUps.schedule(() -> followUp(failedServer, prompted, round), followUpDelayMillis(round),
                    TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            log.debug("no follow-up for the clients of {}: stopping", failedServer);
        }
    }

    /** How long before follow-up round {@code round} (from 1): doubling from the first delay, capped. */
    long followUpDelayMillis(int round) {
        int doublings = Math.min(round - 1, 20);
        return Math.min(followUpMillis << doublings, followUpMaxMillis);
    }

    /** Prompts again the flows that no survivor has taken over yet (their record still names the failed server). */
    private synchronized void followUp(String failedServer, List<FlowRecord> prompted, int round) {
        List<FlowRecord> again = new ArrayList<>();
        long start = System.nanoTime();
        try {
            for (FlowRecord record : store.findAll(prompted.stream().map(FlowRecord::key).toList())) {
                if (record == null || !record.server().equals(failedServer)) {
                    continue; // ended, or recovered (re-indexed under its new server)
                }
                pace(start, again.size());
                prompt(record);
                again.add(record);
            }
        } catch (StoreUnavailableException e) {
            log.warn("prompting the clients of {} again stopped: {}", failedServer, e.getMessage());
            return;
        }
        if (!again.isEmpty()) {
            log.info("prompted {} clients of {} again (round {}): not taken over yet", again.size(), failedServer, round);
            listener.prompted(failedServer, again.size());
        }
        scheduleFollowUp(failedServer, again, round + 1);
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
