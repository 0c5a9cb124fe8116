package io.trods.agent.pcap;

import io.trods.agent.engine.EngineListener;
import io.trods.agent.engine.FlowEngine;
import io.trods.agent.engine.RecordKeeper;
import io.trods.agent.flow.FlowKey;
import io.trods.agent.flow.FlowRecord;
import io.trods.agent.flow.FlowStore;
import io.trods.agent.flow.InMemoryFlowStore;
import io.trods.agent.http.MalformedHttpException;
import io.trods.agent.http.Recoverability;
import io.trods.agent.http.RequestHead;
import io.trods.agent.http.ResponseHead;
import io.trods.agent.packet.TcpOptions;
import io.trods.agent.packet.TcpSegment;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Feeds a recorded capture through the real {@link FlowEngine}, as the PacketLoop would: a client's
 * segment (to the server's port) through onClientSegment, a server's through onServerSegment, with
 * an in-memory store, the capture's timestamps as the engine's clock, and the default zero-window
 * threshold (1 s). A flow let go (PASS_AND_FORGET) is not queued again, as the connection mark
 * makes the kernel do, until a new SYN. Open loop: the capture was made without the agent, so the
 * recorded peers do not react to the rewrites; what is checked is each decision.
 */
final class FlowReplay {

    static final long ZERO_WINDOW_AFTER_NANOS = TimeUnit.SECONDS.toNanos(1);

    enum Outcome { PASS, PASS_REWRITTEN, PASS_AND_FORGET, NOT_QUEUED, NOT_TCP }

    /**
     * What happened to one captured packet: its fields as captured, the engine's verdict, and the
     * fields as the engine left them.
     */
    record Step(int index, long timestampMicros, boolean fromClient, FlowKey flow, int seq, int ack, int flags,
            int payloadLength, int window, Outcome outcome, int ackSent, int windowSent, boolean sackStripped) {

        boolean has(int flag) {
            return (flags & flag) != 0;
        }

        boolean ackCapped() {
            return ackSent != ack;
        }

        boolean windowZeroed() {
            return window != 0 && windowSent == 0;
        }
    }

    /** A record the engine saved write-ahead, and what the agent's own code derives from it. */
    record Saved(int step, FlowRecord record, String validator, long first, long last) {

        long objectIsn() {
            return Integer.toUnsignedLong(record.objectIsn());
        }

        long length() {
            return last - first + 1;
        }
    }

    /** A segment the engine sent itself (the release of the withheld byte), after a step. */
    record Release(int afterStep, int seq, int ack, int window) {}

    record Result(List<Step> steps, Map<FlowKey, List<Saved>> saved, List<Release> releases, List<String> events,
            InMemoryFlowStore store) {

        List<Step> of(FlowKey flow) {
            return steps.stream().filter(s -> flow.equals(s.flow())).toList();
        }

        /** One line per packet, for a failing test's message and for reading a capture by eye. */
        String table() {
            StringBuilder out = new StringBuilder();
            for (Step s : steps) {
                out.append(String.format("%3d %s seq=%d ack=%d len=%d win=%d flags=%02x -> %s%s%s%s%n", s.index(),
                        s.fromClient() ? "C>S" : "S>C", Integer.toUnsignedLong(s.seq()), Integer.toUnsignedLong(s.ack()),
                        s.payloadLength(), s.window(), s.flags(), s.outcome(),
                        s.ackCapped() ? " ack->" + Integer.toUnsignedLong(s.ackSent()) : "",
                        s.windowZeroed() ? " window->0" : "", s.sackStripped() ? " sack stripped" : ""));
            }
            return out.toString();
        }
    }

    private FlowReplay() {
    }

    static Result replay(List<CapturedPacket> packets, int serverPort) {
        return new Run(serverPort).replay(packets);
    }

    /** The state of one replay: the engine and what it reported. */
    private static final class Run {

        final int serverPort;
        final InMemoryFlowStore store = new InMemoryFlowStore();
        final Map<FlowKey, List<Saved>> saved = new LinkedHashMap<>();
        final List<Release> releases = new ArrayList<>();
        final List<String> events = new ArrayList<>();
        final Set<FlowKey> forgotten = new HashSet<>();
        final TcpSegment segment = new TcpSegment();
        final TcpOptions options = new TcpOptions();
        final FlowEngine engine;
        long nowNanos;
        int index;

        Run(int serverPort) {
            this.serverPort = serverPort;
            FlowStore recording = new SavingStore();
            this.engine = new FlowEngine(recording, "replay", 10_000, () -> nowNanos, () -> nowNanos / 1_000_000,
                    new Listener(), this::released, ZERO_WINDOW_AFTER_NANOS, new RecordKeeper() {
                        @Override
                        public io.trods.agent.engine.PendingHandshake saveHandshake(FlowRecord record) {
                            store.saveIfAbsent(record);
                            return io.trods.agent.engine.PendingHandshake.claimed();
                        }

                        @Override
                        public void delete(FlowKey key, String server) {
                            store.delete(key, server);
                        }
                    });
        }

        Result replay(List<CapturedPacket> packets) {
            List<Step> steps = new ArrayList<>();
            for (index = 0; index < packets.size(); index++) {
                CapturedPacket packet = packets.get(index);
                nowNanos = packet.timestampMicros() * 1000;
                steps.add(step(packet));
            }
            return new Result(steps, saved, releases, events, store);
        }

        private Step step(CapturedPacket packet) {
            byte[] bytes = packet.ip().clone(); // the engine rewrites in place
            if (!segment.wrap(bytes, 0, bytes.length)
                    || segment.dstPort() != serverPort && segment.srcPort() != serverPort) {
                return new Step(index, packet.timestampMicros(), false, null, 0, 0, 0, 0, 0, Outcome.NOT_TCP, 0, 0, false);
            }
            boolean fromClient = segment.dstPort() == serverPort;
            FlowKey flow = fromClient ? FlowKey.ofClientSegment(segment) : FlowKey.ofServerSegment(segment);
            int seq = segment.seq();
            int ack = segment.ack();
            int flags = segment.flags();
            int payload = segment.payloadLength();
            int window = segment.window();
            boolean hadSack = options.parse(segment) && options.sackOffset >= 0;
            if (fromClient && segment.has(TcpSegment.SYN) && !segment.has(TcpSegment.ACK)) {
                forgotten.remove(flow); // a new connection gets a new conntrack entry, without the mark
            }
            if (forgotten.contains(flow)) {
                return new Step(index, packet.timestampMicros(), fromClient, flow, seq, ack, flags, payload, window,
                        Outcome.NOT_QUEUED, ack, window, false);
            }
            // The kernel leaves a locally generated segment's checksum to the device: the queue says so.
            int verdict = fromClient ? engine.onClientSegment(segment)
                    : engine.onServerSegment(segment, segment.computeChecksum() != segment.checksum());
            if (verdict == FlowEngine.PASS_AND_FORGET) {
                forgotten.add(flow);
            }
            boolean sackNow = options.parse(segment) && options.sackOffset >= 0;
            Outcome outcome = switch (verdict) {
                case FlowEngine.PASS -> Outcome.PASS;
                case FlowEngine.PASS_REWRITTEN -> Outcome.PASS_REWRITTEN;
                case FlowEngine.PASS_AND_FORGET -> Outcome.PASS_AND_FORGET;
                default -> throw new IllegalStateException("unknown verdict " + verdict);
            };
            return new Step(index, packet.timestampMicros(), fromClient, flow, seq, ack, flags, payload, window, outcome,
                    segment.ack(), segment.window(), hadSack && !sackNow);
        }

        private void released(byte[] bytes, int length, int destination) {
            TcpSegment release = new TcpSegment();
            if (!release.wrap(bytes.clone(), 0, length)) {
                throw new AssertionError("the engine sent a malformed segment after packet " + index);
            }
            releases.add(new Release(index, release.seq(), release.ack(), release.window()));
        }

        private void saved(FlowRecord record) {
            try {
                RequestHead request = RequestHead.parse(record.request(), 0, record.request().length);
                ResponseHead response = ResponseHead.parse(record.responseHead(), 0, record.responseHead().length);
                Recoverability.Verdict verdict = Recoverability.assess(request, response);
                saved.computeIfAbsent(record.key(), k -> new ArrayList<>())
                        .add(new Saved(index, record, verdict.validator(), verdict.first(), verdict.last()));
            } catch (MalformedHttpException e) {
                throw new AssertionError("the engine saved a record it cannot read back: " + record, e);
            }
        }

        /** The in-memory store, noting each write-ahead save with the packet that caused it. */
        private final class SavingStore implements FlowStore {

            @Override
            public void save(FlowRecord record) {
                store.save(record);
                saved(record);
            }

            @Override
            public void saveIfAbsent(FlowRecord record) {
                store.saveIfAbsent(record);
            }

            @Override
            public Optional<FlowRecord> find(FlowKey key) {
                return store.find(key);
            }

            @Override
            public void moved(FlowRecord record, String previousServer) {
                store.moved(record, previousServer);
            }

            @Override
            public void delete(FlowKey key, String server) {
                store.delete(key, server);
            }

            @Override
            public List<FlowKey> flowsOf(String server) {
                return store.flowsOf(server);
            }

            @Override
            public List<FlowKey> claimFlowsOf(String server, int max) {
                return store.claimFlowsOf(server, max);
            }

            @Override
            public boolean reachable() {
                return store.reachable();
            }
        }

        private final class Listener implements EngineListener {

            @Override
            public void responseProtected(FlowKey key, long saveNanos) {
                events.add(index + " protected " + key);
            }

            @Override
            public void responseUnprotected(FlowKey key, Enum<?> reason) {
                events.add(index + " unprotected " + key + " " + reason);
            }
        }
    }
}
