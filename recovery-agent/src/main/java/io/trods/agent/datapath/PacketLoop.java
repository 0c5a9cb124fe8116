package io.trods.agent.datapath;

import io.trods.agent.engine.FlowEngine;
import io.trods.agent.kernel.InterceptionRules;
import io.trods.agent.kernel.KernelCallException;
import io.trods.agent.kernel.NfQueueSocket;
import io.trods.agent.netlink.NetlinkBuffer;
import io.trods.agent.netlink.NetlinkException;
import io.trods.agent.netlink.Nfqueue;
import io.trods.agent.netlink.QueuedPacket;
import io.trods.agent.packet.TcpSegment;
import io.trods.agent.pcap.PacketDump;
import io.trods.agent.recovery.Recoverer;
import io.trods.agent.engine.TrackedFlow;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's one packet thread: receives queued packets, asks the flow engine (normal queue) or
 * the recoverer (recovery queue), and sends each verdict back, with the rewritten packet when the
 * engine changed it. Anything unexpected ends in an accept: a fault of ours must not break a
 * connection that would otherwise work (BRIEF rule 4).
 */
public final class PacketLoop implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(PacketLoop.class);
    private static final int NF_INET_LOCAL_OUT = 3;

    private final NfQueueSocket socket;
    private final int recoveryQueue;
    private final FlowEngine engine;
    private final Recoverer recoverer;
    private final long idleNanos;
    /** The debug dump, null when off (the default): then one null check per packet is all it costs. */
    private final PacketDump dump;
    private final NetlinkBuffer in = new NetlinkBuffer(NfQueueSocket.BUFFER_BYTES);
    private final NetlinkBuffer out = new NetlinkBuffer(NfQueueSocket.BUFFER_BYTES + 256);
    private final QueuedPacket packet = new QueuedPacket();
    private final TcpSegment segment = new TcpSegment();
    private final AtomicLong packets = new AtomicLong();
    private final AtomicLong faults = new AtomicLong();
    private volatile boolean running = true;
    /** Work other threads need done on this one (the flow table is not shared), run between packets. */
    private final Queue<Runnable> chores = new ConcurrentLinkedQueue<>();

    /** @param dump where to copy every queued packet (debugging), null for none */
    public PacketLoop(NfQueueSocket socket, int recoveryQueue, FlowEngine engine, Recoverer recoverer,
            long idleFlowSeconds, PacketDump dump) {
        this.socket = socket;
        this.dump = dump;
        this.recoveryQueue = recoveryQueue;
        this.engine = engine;
        this.recoverer = recoverer;
        this.idleNanos = TimeUnit.SECONDS.toNanos(idleFlowSeconds);
    }

    public long packets() {
        return packets.get();
    }

    public long faults() {
        return faults.get();
    }

    public boolean running() {
        return running;
    }

    public void stop() {
        running = false;
    }

    /**
     * A page of the engine's tracked flows, copied on the packet thread; completes within the queue
     * socket's receive timeout even when no packet comes.
     */
    public CompletableFuture<FlowPage> trackedFlows(int offset, int limit) {
        CompletableFuture<FlowPage> page = new CompletableFuture<>();
        if (!running) {
            page.completeExceptionally(new IllegalStateException("the packet loop is not running"));
            return page;
        }
        chores.add(() -> page.complete(new FlowPage(engine.trackedFlows(), engine.trackedFlows(offset, limit))));
        return page;
    }

    /** A page of tracked flows and how many there are in all. */
    public record FlowPage(int total, List<TrackedFlow> flows) {}

    @Override
    public void run() {
        long nextSweep = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        while (running) {
            try {
                int n = socket.receive(in);
                for (int at = 0; at < n; ) {
                    at = Nfqueue.parse(in, at, n, packet);
                    if (packet.kind == QueuedPacket.Kind.PACKET) {
                        handle();
                    }
                }
            } catch (NetlinkException e) {
                faults.incrementAndGet();
                log.warn("malformed message from the kernel: {}", e.getMessage());
            } catch (KernelCallException e) {
                if (running) {
                    faults.incrementAndGet();
                    log.error("the queue socket failed; interception stops (traffic bypasses the agent)", e);
                    running = false;
                }
            }
            for (Runnable chore; (chore = chores.poll()) != null; ) {
                chore.run();
            }
            if (System.nanoTime() - nextSweep > 0) {
                engine.sweep(idleNanos);
                nextSweep = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            }
        }
    }

    private void handle() throws KernelCallException {
        packets.incrementAndGet();
        if (dump != null) {
            dumpPacket(); // as queued: before the engine rewrites it in place
        }
        int verdict = FlowEngine.PASS;
        try {
            if (segment.wrap(in.array(), packet.payloadOffset, packet.payloadLength)) {
                if (packet.queue == recoveryQueue) {
                    verdict = recoverer.onUnknownFlow(segment) == Recoverer.DROP ? -1 : FlowEngine.PASS;
                } else if (packet.hook == NF_INET_LOCAL_OUT) {
                    verdict = engine.onServerSegment(segment, packet.checksumNotReady());
                } else {
                    verdict = engine.onClientSegment(segment);
                }
            }
        } catch (RuntimeException e) {
            faults.incrementAndGet();
            log.error("fault on a packet of queue {}; accepting it unchanged", packet.queue, e);
            verdict = FlowEngine.PASS;
        }
        if (verdict == FlowEngine.PASS_REWRITTEN && packet.checksumNotReady()
                && (packet.skbInfo & Nfqueue.SKB_GSO) == 0) {
            segment.finishChecksum();
        }
        if (dump != null && verdict == FlowEngine.PASS_REWRITTEN) {
            dumpPacket(); // and as it leaves: the pair shows what the engine changed
        }
        out.clear();
        switch (verdict) {
            case FlowEngine.PASS_REWRITTEN -> Nfqueue.verdict(out, packet.queue, packet.packetId, Nfqueue.NF_ACCEPT, -1,
                    in.array(), packet.payloadOffset, packet.payloadLength);
            // Marked and sent through the chain again, whose first rule copies the mark to the
            // connection: the rest of it skips the queues (this kernel cannot set conntrack marks
            // from a verdict: no CONFIG_NETFILTER_NETLINK_GLUE_CT).
            case FlowEngine.PASS_AND_FORGET -> Nfqueue.verdict(out, packet.queue, packet.packetId, Nfqueue.NF_REPEAT,
                    InterceptionRules.FORGOTTEN_MARK);
            case -1 -> Nfqueue.verdict(out, packet.queue, packet.packetId, Nfqueue.NF_DROP, -1);
            default -> Nfqueue.verdict(out, packet.queue, packet.packetId, Nfqueue.NF_ACCEPT, -1);
        }
        socket.send(out);
    }

    private void dumpPacket() {
        if (packet.payloadOffset >= 0) {
            dump.record(in.array(), packet.payloadOffset, packet.payloadLength);
        }
    }
}
