package io.trods.agent.pcap;

import static io.trods.agent.pcap.CaptureFacts.ACK;
import static io.trods.agent.pcap.FlowReplay.Outcome.NOT_QUEUED;
import static io.trods.agent.pcap.FlowReplay.Outcome.PASS_AND_FORGET;
import static io.trods.agent.pcap.FlowReplay.Outcome.PASS_REWRITTEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.trods.agent.pcap.CaptureFacts.Request;
import io.trods.agent.pcap.CaptureFacts.Response;
import io.trods.agent.pcap.FlowReplay.Result;
import io.trods.agent.pcap.FlowReplay.Saved;
import io.trods.agent.pcap.FlowReplay.Step;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Real captures of stock nginx and curl (recorded by src/test/resources/pcap/record.sh) replayed
 * through the real FlowEngine. What the engine must do is derived from each capture's own bytes
 * ({@link CaptureFacts}), not from the agent's parsers: ObjectISN is where the response head's
 * blank line ends, the validator is the ETag header as sent, the length is Content-Length.
 */
class RecordedFlowsTest {

    static final int PORT = 80;

    @Test
    void aPlainGetIsSavedWriteAheadAndItsLastRequestByteWithheldUntilTheClientHasTheBody() throws Exception {
        Capture c = Capture.load("get-200.pcap");
        Response response = c.facts.responses().get(0);
        Request request = c.facts.requests().get(0);
        assertThat(response.status()).isEqualTo(200);

        Saved saved = c.onlyFlowSaves(1).get(0);
        assertProtected(c, request, response, saved);
        assertThat(saved.first()).isZero();
        assertThat(Integer.toUnsignedLong(saved.record().responseStart())).isEqualTo((c.facts.serverIsn() + 1) & 0xFFFF_FFFFL);
        // Streamed in well under a second: the window is never zeroed.
        assertThat(c.result.steps()).noneMatch(Step::windowZeroed);
        assertClosedAndForgotten(c);
    }

    @Test
    void aRangeRequestIsSavedWithItsRangeAndTheWindowIsZeroedAfterASecondOfStreaming() throws Exception {
        Capture c = Capture.load("range-206.pcap");
        Response response = c.facts.responses().get(0);
        Request request = c.facts.requests().get(0);
        assertThat(response.status()).isEqualTo(206);
        assertThat(request.text()).contains("\r\nRange: bytes=1000-\r\n");

        Saved saved = c.onlyFlowSaves(1).get(0);
        assertProtected(c, request, response, saved);
        // Content-Range: bytes FIRST-LAST/COMPLETE, as sent.
        String[] range = response.header("Content-Range").replace("bytes ", "").split("[-/]");
        assertThat(saved.first()).isEqualTo(Long.parseLong(range[0])).isEqualTo(1000);
        assertThat(saved.last()).isEqualTo(Long.parseLong(range[1]));

        // Capped segments of the first second keep the server's window; later ones advertise zero.
        List<Step> capped = streaming(c, response).stream().filter(s -> !s.fromClient() && s.ackCapped()).toList();
        List<Step> early = capped.stream().filter(s -> s.timestampMicros() - response.micros() < 1_000_000).toList();
        List<Step> late = capped.stream().filter(s -> s.timestampMicros() - response.micros() >= 1_000_000).toList();
        assertThat(early).isNotEmpty().allMatch(s -> s.windowSent() == s.window() && s.window() > 0, "window kept");
        assertThat(late).as(c.table()).isNotEmpty().allMatch(Step::windowZeroed, "window zeroed");
        assertClosedAndForgotten(c);
    }

    @Test
    void twoResponsesOnOneKeepAliveConnectionAreEachSavedAndReleased() throws Exception {
        Capture c = Capture.load("keepalive-2.pcap");
        List<Response> responses = c.facts.responses();
        List<Request> requests = c.facts.requests();
        assertThat(responses).hasSize(2);
        assertThat(requests).hasSize(2);

        List<Saved> saves = c.onlyFlowSaves(2);
        assertProtected(c, requests.get(0), responses.get(0), saves.get(0));
        assertProtected(c, requests.get(1), responses.get(1), saves.get(1));
        assertThat(saves.get(1).record().requestStart()).isEqualTo(saves.get(0).record().requestEnd());
        assertThat(saves.get(0).validator()).isNotEqualTo(saves.get(1).validator());
        assertThat(c.result.releases()).hasSize(2);
        assertClosedAndForgotten(c);
    }

    @Test
    void aGzippedChunkedResponseIsLetGoWithNoRecordSaved() throws Exception {
        Capture c = Capture.load("gzip-chunked.pcap");
        Response response = c.facts.responses().get(0);
        Request request = c.facts.requests().get(0);
        assertThat(response.header("Transfer-Encoding")).isEqualTo("chunked");
        assertThat(response.header("Content-Encoding")).isEqualTo("gzip");

        // While the request waited for its response, none of it was acknowledged.
        assertThat(c.serverAcksBetween(request.index(), response.index())).isNotEmpty()
                .allMatch(s -> s.ackCapped() && Integer.toUnsignedLong(s.ackSent()) == request.start());
        Step head = c.result.steps().get(response.index());
        assertThat(head.outcome()).isEqualTo(PASS_AND_FORGET);
        assertThat(head.ackCapped()).isFalse(); // let go as it was: the client gets the kernel's own ACK
        assertThat(c.result.events()).anyMatch(e -> e.endsWith(" TRANSFER_ENCODED"));
        assertThat(c.result.saved()).isEmpty();
        assertThat(c.result.store().log).noneMatch(op -> op.startsWith("save "));
        assertThat(c.result.store().records).isEmpty(); // the handshake's record went with the flow
        assertThat(c.result.steps().subList(response.index() + 1, c.result.steps().size()))
                .isNotEmpty().allMatch(s -> s.outcome() == NOT_QUEUED);
    }

    /**
     * The response was saved write-ahead (at its first segment) with the values the capture shows,
     * every server segment while it streamed acknowledged at most the request's last byte minus one,
     * and the withheld byte was released when the client acknowledged the whole body.
     */
    static void assertProtected(Capture c, Request request, Response response, Saved saved) {
        assertThat(saved.step()).isEqualTo(response.index());
        assertThat(saved.objectIsn()).isEqualTo(response.objectIsn());
        assertThat(saved.validator()).isNotNull().isEqualTo(response.header("ETag"));
        assertThat(saved.length()).isEqualTo(Long.parseLong(response.header("Content-Length")));
        assertThat(Integer.toUnsignedLong(saved.record().requestStart())).isEqualTo(request.start());
        assertThat(Integer.toUnsignedLong(saved.record().requestEnd())).isEqualTo(request.end());

        assertThat(c.serverAcksBetween(request.index(), response.index()))
                .allMatch(s -> s.ackCapped() && Integer.toUnsignedLong(s.ackSent()) == request.start(), "request unacknowledged");
        List<Step> streaming = streaming(c, response).stream().filter(s -> !s.fromClient() && s.has(ACK)).toList();
        long lastByte = (request.end() - 1) & 0xFFFF_FFFFL;
        assertThat(streaming).as(c.table()).hasSizeGreaterThanOrEqualTo(2).allMatch(s -> s.outcome() == PASS_REWRITTEN
                && CaptureFacts.atOrAfter(s.ack(), request.end()) // the kernel had acknowledged it all
                && Integer.toUnsignedLong(s.ackSent()) == lastByte, "ack capped just below the request's last byte");

        int done = c.facts.clientAckReaching(response.bodyEnd(), response.index());
        assertThat(done).isPositive();
        assertThat(c.result.releases()).anyMatch(r -> r.afterStep() == done
                && Integer.toUnsignedLong(r.ack()) == request.end());
    }

    /** Steps from the response's first segment until the client has the whole body. */
    static List<Step> streaming(Capture c, Response response) {
        int done = c.facts.clientAckReaching(response.bodyEnd(), response.index());
        return c.result.steps().subList(response.index(), done);
    }

    /** The client's FIN ended the flow: its record is gone and its later packets are not queued. */
    static void assertClosedAndForgotten(Capture c) {
        int fin = c.facts.clientClose();
        assertThat(fin).isPositive();
        assertThat(c.result.steps().get(fin).outcome()).isEqualTo(PASS_AND_FORGET);
        assertThat(c.result.steps().subList(fin + 1, c.result.steps().size())).allMatch(s -> s.outcome() == NOT_QUEUED);
        assertThat(c.result.store().records).isEmpty();
    }

    /** A capture, its facts and its replay. */
    record Capture(List<CapturedPacket> packets, CaptureFacts facts, Result result) {

        static Capture load(String name) throws IOException, URISyntaxException {
            List<CapturedPacket> packets = PcapReader.readIpv4(resource(name));
            return new Capture(packets, new CaptureFacts(packets, PORT), FlowReplay.replay(packets, PORT));
        }

        static Path resource(String name) throws URISyntaxException {
            return Path.of(RecordedFlowsTest.class.getResource("/pcap/" + name).toURI());
        }

        /** The saves of the capture's one flow, exactly {@code count} of them. */
        List<Saved> onlyFlowSaves(int count) {
            assertThat(result.saved()).as(table()).hasSize(1);
            List<Saved> saves = result.saved().values().iterator().next();
            assertThat(saves).hasSize(count);
            return saves;
        }

        /** The server's segments with an ACK after packet {@code from} and before {@code to}. */
        List<Step> serverAcksBetween(int from, int to) {
            return result.steps().subList(from + 1, to).stream().filter(s -> !s.fromClient() && s.has(ACK)).toList();
        }

        String table() {
            return result.table();
        }
    }
}
