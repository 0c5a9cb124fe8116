package io.trods.agent.engine;

import static io.trods.agent.engine.FlowEngine.PASS;
import static io.trods.agent.engine.FlowEngine.PASS_AND_FORGET;
import static io.trods.agent.engine.FlowEngine.PASS_REWRITTEN;
import static org.assertj.core.api.Assertions.assertThat;

import io.trods.agent.flow.FlowKey;
import io.trods.agent.flow.FlowRecord;
import io.trods.agent.flow.InMemoryFlowStore;
import io.trods.agent.http.Recoverability;
import io.trods.agent.packet.TcpOptions;
import io.trods.agent.packet.TcpSegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One connection at a time, segment by segment, as the queue hands them over. */
class FlowEngineTest {

    static final int CLIENT = 0xC6120002;
    static final int SERVER = 0xC613000B;
    static final int CLIENT_ISN = 0xFFFF_FF00; // the request wraps around 2^32
    static final int SERVER_ISN = 0x1000;
    static final String REQUEST = "GET /obj/1M.bin HTTP/1.1\r\nHost: 198.18.0.10\r\nAccept: */*\r\n\r\n";
    static final String HEAD = "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nETag: \"6b-1\"\r\n\r\n";

    final InMemoryFlowStore store = new InMemoryFlowStore();
    final List<String> events = new ArrayList<>();
    final List<byte[]> sent = new ArrayList<>();
    final List<FlowRecord> handshakes = new ArrayList<>();
    final List<String> removals = new ArrayList<>();
    /** What the keeper handed back for each handshake: still waiting to be sent, as in production. */
    final List<PendingHandshake> pendingHandshakes = new ArrayList<>();
    final FlowEngine engine = new FlowEngine(store, "server1", 100, System::nanoTime, () -> 42L,
            new EngineListener() {
                @Override
                public void responseProtected(FlowKey key, long saveNanos) {
                    events.add("protected");
                }

                @Override
                public void responseUnprotected(FlowKey key, Enum<?> reason) {
                    events.add("unprotected " + reason);
                }
            }, (segment, length, destination) -> sent.add(java.util.Arrays.copyOf(segment, length)), 0,
            new RecordKeeper() {
                @Override
                public PendingHandshake saveHandshake(FlowRecord record) {
                    handshakes.add(record);
                    PendingHandshake pending = new PendingHandshake();
                    pendingHandshakes.add(pending);
                    return pending;
                }

                @Override
                public void delete(FlowKey key, String server) {
                    removals.add("delete " + server);
                    store.delete(key, server);
                }

                @Override
                public void delete(FlowKey key, String server, boolean afterReset) {
                    if (!afterReset) {
                        delete(key, server);
                        return;
                    }
                    removals.add("after a reset " + server);
                    store.delete(key, server, true);
                }
            });
    final TcpSegment seg = new TcpSegment();
    int clientPort = 40000;

    // --- segment builders ------------------------------------------------------------------------

    byte[] segment(boolean fromClient, int seq, int ack, int flags, byte[] options, byte[] payload) {
        int tcpLength = 20 + options.length + payload.length;
        ByteBuffer p = ByteBuffer.allocate(20 + tcpLength);
        p.put((byte) 0x45).put((byte) 0).putShort((short) (20 + tcpLength)).putInt(0).put((byte) 64).put((byte) 6)
                .putShort((short) 0).putInt(fromClient ? CLIENT : SERVER).putInt(fromClient ? SERVER : CLIENT);
        p.putShort((short) (fromClient ? clientPort : 80)).putShort((short) (fromClient ? 80 : clientPort))
                .putInt(seq).putInt(ack).put((byte) ((20 + options.length) / 4 << 4)).put((byte) flags)
                .putShort((short) 502).putShort((short) 0).putShort((short) 0).put(options).put(payload);
        byte[] bytes = p.array();
        seg.wrap(bytes, 0, bytes.length);
        ByteBuffer.wrap(bytes).putShort(36, (short) seg.computeChecksum());
        return bytes;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static final byte[] NO_OPTIONS = new byte[0];
    static final byte[] SYN_OPTIONS = {2, 4, 0x05, (byte) 0xB4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
    static final byte[] SYNACK_OPTIONS = {2, 4, 0x05, (byte) 0xB4, 4, 2, 8, 10, 0, 0, 0, 2, 0, 0, 0, 1, 1, 3, 3, 9};
    /** NOP NOP SACK with one block: what a server's duplicate ACK carries for the withheld byte. */
    static final byte[] SACK_OPTIONS = {1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2};

    int client(int seq, int ack, int flags, byte[] payload) {
        byte[] b = segment(true, seq, ack, flags, NO_OPTIONS, payload);
        seg.wrap(b, 0, b.length);
        return engine.onClientSegment(seg);
    }

    int server(int seq, int ack, int flags, byte[] options, byte[] payload) {
        byte[] b = segment(false, seq, ack, flags, options, payload);
        seg.wrap(b, 0, b.length);
        return engine.onServerSegment(seg, false);
    }

    int requestEnd() {
        return CLIENT_ISN + 1 + REQUEST.length();
    }

    void handshake() {
        byte[] syn = segment(true, CLIENT_ISN, 0, TcpSegment.SYN, SYN_OPTIONS, NO_OPTIONS);
        seg.wrap(syn, 0, syn.length);
        assertThat(engine.onClientSegment(seg)).isEqualTo(PASS);
        assertThat(server(SERVER_ISN, CLIENT_ISN + 1, TcpSegment.SYN | TcpSegment.ACK, SYNACK_OPTIONS, NO_OPTIONS))
                .isEqualTo(PASS);
    }

    /** Request in two segments, the server's ACK of it, then the response head with body bytes. */
    int requestAndResponseStart(String head) {
        byte[] request = ascii(REQUEST);
        client(CLIENT_ISN + 1, SERVER_ISN + 1, TcpSegment.ACK, java.util.Arrays.copyOf(request, 10));
        client(CLIENT_ISN + 11, SERVER_ISN + 1, TcpSegment.ACK | TcpSegment.PSH,
                java.util.Arrays.copyOfRange(request, 10, request.length));
        // The kernel acknowledges the request before the response: nothing of it may be acknowledged yet.
        assertThat(server(SERVER_ISN + 1, requestEnd(), TcpSegment.ACK, NO_OPTIONS, NO_OPTIONS)).isEqualTo(PASS_REWRITTEN);
        assertThat(seg.ack()).isEqualTo(CLIENT_ISN + 1);
        return server(SERVER_ISN + 1, requestEnd(), TcpSegment.ACK, NO_OPTIONS, ascii(head + "body!"));
    }

    // --- tests -------------------------------------------------------------------------------------

    @Test
    void savesBeforeTheFirstResponseByteAndWithholdsTheLastRequestByte() {
        handshake();

        int verdict = requestAndResponseStart(HEAD);

        assertThat(verdict).isEqualTo(PASS_REWRITTEN);
        assertThat(seg.ack()).as("the withheld byte").isEqualTo(requestEnd() - 1);
        assertThat(seg.window()).as("zero window while the response streams").isZero();
        assertThat(seg.checksum()).isEqualTo(seg.computeChecksum());
        FlowRecord saved = store.records.get(new FlowKey(CLIENT, clientPort, 80));
        assertThat(saved).isNotNull();
        assertThat(saved.server()).isEqualTo("server1");
        assertThat(new String(saved.request(), StandardCharsets.ISO_8859_1)).isEqualTo(REQUEST);
        assertThat(new String(saved.responseHead(), StandardCharsets.ISO_8859_1)).isEqualTo(HEAD);
        assertThat(saved.requestStart()).isEqualTo(CLIENT_ISN + 1);
        assertThat(saved.responseStart()).isEqualTo(SERVER_ISN + 1);
        assertThat(saved.objectIsn()).isEqualTo(SERVER_ISN + 1 + HEAD.length());
        assertThat(saved.clientMss()).isEqualTo(1460);
        assertThat(saved.clientWindowScale()).isEqualTo(7);
        assertThat(saved.serverWindowScale()).isEqualTo(9);
        assertThat(saved.sackPermitted()).isTrue();
        assertThat(saved.timestamps()).isTrue();
        assertThat(store.log).containsExactly("save " + saved.key());
        assertThat(events).containsExactly("protected");
    }

    @Test
    void theTrackedFlowsAreListedPageByPage() {
        handshake();
        assertThat(engine.trackedFlows(0, 10)).extracting(TrackedFlow::phase).containsExactly("AWAIT_REQUEST");
        requestAndResponseStart(HEAD);

        List<TrackedFlow> page = engine.trackedFlows(0, 10);
        assertThat(page).hasSize(1);
        assertThat(page.get(0).phase()).isEqualTo("STREAMING");
        assertThat(page.get(0).saved()).isTrue();
        assertThat(page.get(0).client()).endsWith(":" + clientPort);
        assertThat(page.get(0).servicePort()).isEqualTo(80);
        assertThat(engine.trackedFlows(1, 10)).as("past the end").isEmpty();
    }

    @Test
    void theHandshakesRecordGoesToTheBackgroundSaverWithTheNegotiatedOptions() {
        handshake();

        assertThat(handshakes).hasSize(1);
        FlowRecord h = handshakes.get(0);
        assertThat(h.request()).isEmpty();
        assertThat(h.responseHead()).isEmpty();
        assertThat(h.requestStart()).isEqualTo(CLIENT_ISN + 1);
        assertThat(h.responseStart()).isEqualTo(SERVER_ISN + 1);
        assertThat(h.clientMss()).isEqualTo(1460);
        assertThat(h.clientWindowScale()).isEqualTo(7);
        assertThat(h.serverWindowScale()).isEqualTo(9);
        assertThat(h.sackPermitted()).isTrue();
        assertThat(h.timestamps()).isTrue();
        assertThat(store.log).as("nothing on the packet thread").isEmpty();
    }

    @Test
    void keepsWithholdingAndStripsSackBlocksWhileTheResponseStreams() {
        handshake();
        requestAndResponseStart(HEAD);
        int next = SERVER_ISN + 1 + HEAD.length() + 5;

        // The client retransmits the withheld byte; the kernel answers with a D-SACK for it.
        assertThat(client(requestEnd() - 1, next, TcpSegment.ACK, ascii("\n"))).isEqualTo(PASS);
        assertThat(server(next, requestEnd(), TcpSegment.ACK, SACK_OPTIONS, new byte[1000])).isEqualTo(PASS_REWRITTEN);

        assertThat(seg.ack()).isEqualTo(requestEnd() - 1);
        TcpOptions options = new TcpOptions();
        assertThat(options.parse(seg)).isTrue();
        assertThat(options.sackBlocks).isZero();
        assertThat(seg.checksum()).isEqualTo(seg.computeChecksum());
    }

    @Test
    void releasesWhenTheClientHasTheWholeResponseAndProtectsTheNextRequest() {
        handshake();
        requestAndResponseStart(HEAD);
        int bodyEnd = SERVER_ISN + 1 + HEAD.length() + 5000;
        // The rest of the body leaves the server.
        server(SERVER_ISN + 1 + HEAD.length() + 5, requestEnd(), TcpSegment.ACK, NO_OPTIONS, new byte[4995]);

        assertThat(sent).isEmpty();
        assertThat(client(requestEnd() - 1, bodyEnd, TcpSegment.ACK, NO_OPTIONS)).isEqualTo(PASS);
        // The withheld byte is acknowledged at once, on the server's behalf.
        assertThat(sent).hasSize(1);
        TcpSegment release = new TcpSegment();
        assertThat(release.wrap(sent.get(0), 0, sent.get(0).length)).isTrue();
        assertThat(release.srcAddress()).isEqualTo(SERVER);
        assertThat(release.srcPort()).isEqualTo(80);
        assertThat(release.dstAddress()).isEqualTo(CLIENT);
        assertThat(release.dstPort()).isEqualTo(clientPort);
        assertThat(release.seq()).isEqualTo(bodyEnd);
        assertThat(release.ack()).isEqualTo(requestEnd());
        assertThat(release.window()).isEqualTo(502);
        assertThat(release.checksum()).isEqualTo(release.computeChecksum());
        // Idle: the kernel's acknowledgement goes out as it is.
        assertThat(server(bodyEnd, requestEnd(), TcpSegment.ACK, NO_OPTIONS, NO_OPTIONS)).isEqualTo(PASS);
        assertThat(seg.ack()).isEqualTo(requestEnd());

        // Keep-alive: a second request is collected and protected in turn.
        String second = "GET /obj/1K.bin HTTP/1.1\r\nHost: v\r\n\r\n";
        assertThat(client(requestEnd(), bodyEnd, TcpSegment.ACK, ascii(second))).isEqualTo(PASS);
        String head2 = "HTTP/1.1 200 OK\r\nContent-Length: 1024\r\nETag: \"x\"\r\n\r\n";
        assertThat(server(bodyEnd, requestEnd() + second.length(), TcpSegment.ACK, NO_OPTIONS, ascii(head2)))
                .isEqualTo(PASS_REWRITTEN);
        assertThat(seg.ack()).isEqualTo(requestEnd() + second.length() - 1);
        FlowRecord saved = store.records.get(new FlowKey(CLIENT, clientPort, 80));
        assertThat(saved.requestStart()).isEqualTo(requestEnd());
        assertThat(saved.responseStart()).isEqualTo(bodyEnd);
        assertThat(events).containsExactly("protected", "protected");
        // The connection is in the index since its first save: the second writes the record alone.
        FlowKey key = new FlowKey(CLIENT, clientPort, 80);
        assertThat(store.log).filteredOn(l -> l.startsWith("save")).containsExactly("save " + key, "save record " + key);
        assertThat(store.index.get("server1")).contains(key);
    }

    /**
     * The server closes the connection in the middle of the body (nginx's send_timeout): its FIN
     * leaves as the kernel wrote it, acknowledging the client's last byte with the real window, so
     * that the client can end the connection too; the flow and its record are gone. A FIN at the
     * body's end is the normal end of a response and stays capped until the client has it all.
     */
    @Test
    void aServerThatClosesBeforeTheBodyEndsEndsTheFlowAndReleasesTheClient() {
        handshake();
        requestAndResponseStart(HEAD);
        int cut = SERVER_ISN + 1 + HEAD.length() + 2000;
        assertThat(server(cut, requestEnd(), TcpSegment.ACK | TcpSegment.FIN, NO_OPTIONS, NO_OPTIONS))
                .isEqualTo(PASS_AND_FORGET);
        assertThat(seg.ack()).as("the kernel's own acknowledgement").isEqualTo(requestEnd());
        assertThat(seg.window()).isEqualTo(502);
        assertThat(engine.trackedFlows()).isZero();
        assertThat(store.records).isEmpty();

        clientPort++;
        handshake();
        requestAndResponseStart(HEAD);
        int bodyEnd = SERVER_ISN + 1 + HEAD.length() + 5000;
        assertThat(server(SERVER_ISN + 1 + HEAD.length() + 5, requestEnd(), TcpSegment.ACK | TcpSegment.FIN,
                NO_OPTIONS, new byte[4995])).as("the last bytes and a FIN: the response is whole").isEqualTo(PASS_REWRITTEN);
        assertThat(seg.ack()).isEqualTo(requestEnd() - 1);
        assertThat(store.records).hasSize(1);
        assertThat(client(requestEnd(), bodyEnd + 1, TcpSegment.ACK, NO_OPTIONS)).isEqualTo(PASS);
        assertThat(sent).as("released once the client has it all").hasSize(1);
    }

    /**
     * A keep-alive request whose copy never reached the agent (the kernel could not deliver it):
     * the server's answer acknowledges bytes the engine never saw, and the flow is let go
     * unprotected rather than left believing it is idle. Its record, of the previous response, is
     * removed.
     */
    @Test
    void aRequestTheEngineNeverSawLetsTheFlowGoAtTheServersAnswer() {
        handshake();
        requestAndResponseStart(HEAD);
        int bodyEnd = SERVER_ISN + 1 + HEAD.length() + 5000;
        server(SERVER_ISN + 1 + HEAD.length() + 5, requestEnd(), TcpSegment.ACK, NO_OPTIONS, new byte[4995]);
        client(requestEnd(), bodyEnd, TcpSegment.ACK, NO_OPTIONS); // idle, released
        FlowKey key = new FlowKey(CLIENT, clientPort, 80);
        assertThat(store.records).containsKey(key);

        String unseen = "GET /obj/1K.bin HTTP/1.1\r\nHost: v\r\n\r\n";
        String head2 = "HTTP/1.1 200 OK\r\nContent-Length: 1024\r\nETag: \"x\"\r\n\r\n";
        assertThat(server(bodyEnd, requestEnd() + unseen.length(), TcpSegment.ACK, NO_OPTIONS, ascii(head2)))
                .isEqualTo(PASS_AND_FORGET);
        assertThat(engine.trackedFlows()).isZero();
        assertThat(events).containsExactly("protected", "unprotected UNTRACKED");
        assertThat(store.records).doesNotContainKey(key);
    }

    /** A response saved before the handshake's record was sent makes that record unnecessary. */
    @Test
    void theResponsesSaveWithdrawsTheHandshakesRecordNotYetSent() {
        handshake();
        assertThat(pendingHandshakes).hasSize(1);
        requestAndResponseStart(HEAD);

        assertThat(pendingHandshakes.get(0).claim()).as("withdrawn: the keeper must not send it").isFalse();
    }

    /**
     * A connection that ends before any response is saved, while its handshake's record still
     * waits: nothing was saved, so nothing is removed (a removal queued behind a withdrawn save
     * would only cost a round trip).
     */
    @Test
    void aConnectionEndingBeforeItsHandshakeWasSentRemovesNothing() {
        handshake();
        assertThat(client(CLIENT_ISN + 1, SERVER_ISN + 1, TcpSegment.ACK | TcpSegment.FIN, NO_OPTIONS))
                .isEqualTo(PASS_AND_FORGET);

        assertThat(pendingHandshakes.get(0).claim()).isFalse();
        assertThat(store.log).as("no removal").isEmpty();
    }

    /** Once the keeper has sent the handshake's record, the connection's end removes it. */
    @Test
    void aConnectionEndingAfterItsHandshakeWasSentRemovesTheRecord() {
        handshake();
        assertThat(pendingHandshakes.get(0).claim()).isTrue(); // the keeper sends it
        client(CLIENT_ISN + 1, SERVER_ISN + 1, TcpSegment.ACK | TcpSegment.FIN, NO_OPTIONS);

        assertThat(store.log).containsExactly("delete " + new FlowKey(CLIENT, clientPort, 80));
    }

    @Test
    void anAckThatComesWithTheNextRequestNeedsNoRelease() {
        handshake();
        requestAndResponseStart(HEAD);
        int bodyEnd = SERVER_ISN + 1 + HEAD.length() + 5000;
        server(SERVER_ISN + 1 + HEAD.length() + 5, requestEnd(), TcpSegment.ACK, NO_OPTIONS, new byte[4995]);

        // Keep-alive: the ACK of the whole body arrives on the next request's segment.
        String second = "GET /obj/1K.bin HTTP/1.1\r\nHost: v\r\n\r\n";
        assertThat(client(requestEnd(), bodyEnd, TcpSegment.ACK, ascii(second))).isEqualTo(PASS);
        assertThat(sent).as("no release: the client is not waiting for one").isEmpty();
        // The kernel's next segment acknowledges the withheld byte, and none of the second request.
        assertThat(server(bodyEnd, requestEnd() + second.length(), TcpSegment.ACK, NO_OPTIONS, NO_OPTIONS))
                .isEqualTo(PASS_REWRITTEN);
        assertThat(seg.ack()).isEqualTo(requestEnd());
        String head2 = "HTTP/1.1 200 OK\r\nContent-Length: 1024\r\nETag: \"x\"\r\n\r\n";
        assertThat(server(bodyEnd, requestEnd() + second.length(), TcpSegment.ACK, NO_OPTIONS, ascii(head2)))
                .isEqualTo(PASS_REWRITTEN);
        assertThat(seg.ack()).isEqualTo(requestEnd() + second.length() - 1);
        assertThat(events).containsExactly("protected", "protected");
    }

    @Test
    void theWithheldByteRetransmittedAfterTheReleaseDoesNotStartARequest() {
        handshake();
        requestAndResponseStart(HEAD);
        int bodyEnd = SERVER_ISN + 1 + HEAD.length() + 5000;
        server(SERVER_ISN + 1 + HEAD.length() + 5, requestEnd(), TcpSegment.ACK, NO_OPTIONS, new byte[4995]);
        client(requestEnd() - 1, bodyEnd, TcpSegment.ACK, NO_OPTIONS);
        assertThat(sent).hasSize(1);

        // The client's timer fired before the release arrived: the byte again, then the same byte
        // collapsed with the next request into one retransmission.
        byte[] request = ascii(REQUEST);
        assertThat(client(requestEnd() - 1, bodyEnd, TcpSegment.ACK, new byte[] {request[request.length - 1]}))
                .isEqualTo(PASS);
        String second = "GET /obj/1K.bin HTTP/1.1\r\nHost: v\r\n\r\n";
        byte[] collapsed = new byte[1 + second.length()];
        collapsed[0] = request[request.length - 1];
        System.arraycopy(ascii(second), 0, collapsed, 1, second.length());
        assertThat(client(requestEnd() - 1, bodyEnd, TcpSegment.ACK, collapsed)).isEqualTo(PASS);
        String head2 = "HTTP/1.1 200 OK\r\nContent-Length: 1024\r\nETag: \"x\"\r\n\r\n";
        assertThat(server(bodyEnd, requestEnd() + second.length(), TcpSegment.ACK, NO_OPTIONS, ascii(head2)))
                .isEqualTo(PASS_REWRITTEN);
        assertThat(seg.ack()).as("the second request's last byte withheld").isEqualTo(requestEnd() + second.length() - 1);
        FlowRecord saved = store.records.get(new FlowKey(CLIENT, clientPort, 80));
        assertThat(new String(saved.request(), StandardCharsets.ISO_8859_1)).isEqualTo(second);
        assertThat(saved.requestStart()).isEqualTo(requestEnd());
        assertThat(events).containsExactly("protected", "protected");
    }

    /** The engine takes over this test's connection as recovered mid-response, 5 body bytes sent. */
    int adoptRecovered(FlowEngine target) {
        FlowRecord record = new FlowRecord(new FlowKey(CLIENT, clientPort, 80), "server2", 1460, 7, 9, true, false,
                CLIENT_ISN + 1, ascii(REQUEST), SERVER_ISN + 1, ascii(HEAD), 0);
        int sentEnd = record.objectIsn() + 5;
        target.adopt(new RecoveryPlan(record, sentEnd, record.requestEnd(), new byte[0], 5, 4999, 5000, "\"6b-1\"",
                "/obj/1M.bin", null, 0, 0, 502));
        return sentEnd;
    }

    @Test
    void anAckBeyondWhatThisServerSentIsLoweredSoThatTheSocketCatchesUp() {
        int sentEnd = adoptRecovered(engine); // what the recreated socket has sent so far
        // The client has bytes the failed server sent beyond a hole: its ACK jumps ahead, with SACK.
        byte[] b = segment(true, requestEnd() - 1, sentEnd + 600_000, TcpSegment.ACK, SACK_OPTIONS, NO_OPTIONS);
        seg.wrap(b, 0, b.length);

        assertThat(engine.onClientSegment(seg)).isEqualTo(PASS_REWRITTEN);

        assertThat(seg.ack()).isEqualTo(sentEnd);
        TcpOptions o = new TcpOptions();
        assertThat(o.parse(seg)).isTrue();
        assertThat(o.sackBlocks).isZero();
        assertThat(seg.checksum()).isEqualTo(seg.computeChecksum());
        // An ACK within what was sent passes as it is.
        assertThat(client(requestEnd() - 1, sentEnd - 5, TcpSegment.ACK, NO_OPTIONS)).isEqualTo(PASS);
    }

    // --- a save that takes its time -------------------------------------------------------------------

    @Test
    void aSlowSaveHoldsTheServersSegmentsUntilTheRecordIsDurable() {
        handshake();
        store.slowSave = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CompletableFuture<Void> redis = store.slowSave;

        assertThat(requestAndResponseStart(HEAD)).isEqualTo(FlowEngine.HOLD);
        long token = engine.heldUnder();
        assertThat(seg.ack()).as("a held segment is left as it is").isEqualTo(requestEnd());
        assertThat(server(SERVER_ISN + 1 + HEAD.length() + 5, requestEnd(), TcpSegment.ACK, NO_OPTIONS, new byte[100]))
                .as("a later segment waits behind it").isEqualTo(FlowEngine.HOLD);
        assertThat(engine.heldUnder()).isEqualTo(token);
        assertThat(engine.pendingSave(token)).isNotDone();
        assertThat(events).isEmpty();

        redis.complete(null);
        engine.saveSettled(token);

        assertThat(events).containsExactly("protected");
        assertThat(store.records).containsKey(new FlowKey(CLIENT, clientPort, 80));
        assertThat(server(SERVER_ISN + 1, requestEnd(), TcpSegment.ACK, NO_OPTIONS, ascii(HEAD + "body!")))
                .isEqualTo(PASS_REWRITTEN);
        assertThat(seg.ack()).as("released capped, the response protected").isEqualTo(requestEnd() - 1);
        assertThat(engine.pendingSave(token)).isNull();
    }

    @Test
    void aFailedSlowSaveLetsTheHeldSegmentsGoUnprotected() {
        handshake();
        store.slowSave = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CompletableFuture<Void> redis = store.slowSave;
        assertThat(requestAndResponseStart(HEAD)).isEqualTo(FlowEngine.HOLD);
        long token = engine.heldUnder();

        redis.completeExceptionally(new io.trods.agent.flow.StoreUnavailableException("Redis: timed out", null));
        engine.saveSettled(token);

        assertThat(events).containsExactly("unprotected " + EngineListener.Unprotected.STORE_UNAVAILABLE);
        assertThat(server(SERVER_ISN + 1, requestEnd(), TcpSegment.ACK, NO_OPTIONS, ascii(HEAD + "body!")))
                .isEqualTo(PASS_AND_FORGET);
        assertThat(engine.trackedFlows()).isZero();
    }

    @Test
    void aRecordSavedAfterItsConnectionEndedIsRemovedAgain() {
        handshake();
        store.slowSave = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CompletableFuture<Void> redis = store.slowSave;
        assertThat(requestAndResponseStart(HEAD)).isEqualTo(FlowEngine.HOLD);
        long token = engine.heldUnder();
        assertThat(client(requestEnd(), SERVER_ISN + 1, TcpSegment.ACK | TcpSegment.RST, NO_OPTIONS))
                .isEqualTo(PASS_AND_FORGET);

        redis.complete(null);
        assertThat(store.records).as("saved late").isNotEmpty();
        engine.saveSettled(token);

        assertThat(store.records).as("and removed").isEmpty();
        assertThat(events).isEmpty();
    }

    static final RecordKeeper NO_KEEPER = new RecordKeeper() {
        @Override
        public PendingHandshake saveHandshake(FlowRecord record) {
            return PendingHandshake.claimed();
        }

        @Override
        public void delete(FlowKey key, String server) {
        }
    };

    /** Drives another engine through SYN, SYN-ACK, the request and the response head's segment. */
    int handshakeRequestAndResponseHead(FlowEngine other) {
        return handshakeRequestAndResponseHead(other, HEAD);
    }

    int handshakeRequestAndResponseHead(FlowEngine other, String head) {
        byte[] syn = segment(true, CLIENT_ISN, 0, TcpSegment.SYN, SYN_OPTIONS, NO_OPTIONS);
        seg.wrap(syn, 0, syn.length);
        other.onClientSegment(seg);
        byte[] synAck = segment(false, SERVER_ISN, CLIENT_ISN + 1, TcpSegment.SYN | TcpSegment.ACK, SYNACK_OPTIONS, NO_OPTIONS);
        seg.wrap(synAck, 0, synAck.length);
        other.onServerSegment(seg, false);
        byte[] request = segment(true, CLIENT_ISN + 1, SERVER_ISN + 1, TcpSegment.ACK, NO_OPTIONS, ascii(REQUEST));
        seg.wrap(request, 0, request.length);
        other.onClientSegment(seg);
        byte[] response = segment(false, SERVER_ISN + 1, requestEnd(), TcpSegment.ACK, NO_OPTIONS, ascii(head));
        seg.wrap(response, 0, response.length);
        return other.onServerSegment(seg, false);
    }

    // --- the kernel's fast path ---------------------------------------------------------------------

    static final String LONG_HEAD = "HTTP/1.1 200 OK\r\nContent-Length: 67108864\r\nETag: \"6b-1\"\r\n\r\n";
    final List<String> lanes = new ArrayList<>();
    final long[] laneClock = {0};
    final FastPath recordingFastPath = new FastPath() {
        @Override
        public void stream(Lane lane) {
            lanes.add("stream " + lane);
        }

        @Override
        public void zeroWindow(Lane lane) {
            lanes.add("zero " + lane);
        }

        @Override
        public void end(Lane lane) {
            lanes.add("end " + lane);
        }
    };
    final FlowEngine laned = new FlowEngine(store, "server1", 100, () -> laneClock[0], () -> 42L, new EngineListener() {
    }, (segment, length, destination) -> sent.add(java.util.Arrays.copyOf(segment, length)), 1_000_000_000L, NO_KEEPER,
            recordingFastPath);

    int longBodyEnd() {
        return SERVER_ISN + 1 + LONG_HEAD.length() + (64 << 20);
    }

    FastPath.Lane expectedLane() {
        return new FastPath.Lane(CLIENT, clientPort, SERVER_ISN + 1, longBodyEnd() - FlowEngine.FAST_PATH_TAIL,
                requestEnd() - 1, SERVER_ISN + 1, longBodyEnd() - 1);
    }

    int lanedClient(int seq, int ack, byte[] options) {
        byte[] b = segment(true, seq, ack, TcpSegment.ACK, options, NO_OPTIONS);
        seg.wrap(b, 0, b.length);
        return laned.onClientSegment(seg);
    }

    @Test
    void aLongResponseIsHandedToTheKernelShortOfItsTailAndTakenBackAtTheRelease() {
        assertThat(handshakeRequestAndResponseHead(laned, LONG_HEAD)).isEqualTo(PASS_REWRITTEN);
        assertThat(seg.ack()).as("the head's segment is capped in Java").isEqualTo(requestEnd() - 1);
        assertThat(lanes).containsExactly("stream " + expectedLane());

        // An ACK the kernel did not let through (it has SACK blocks) acknowledges bytes sent through
        // the lane, which the engine never saw: it is not lowered, as it would be after a recovery.
        assertThat(lanedClient(requestEnd() - 1, SERVER_ISN + 40_000_000, SACK_OPTIONS)).isEqualTo(PASS);
        assertThat(seg.ack()).isEqualTo(SERVER_ISN + 40_000_000);

        laneClock[0] = 1_500_000_000L;
        laned.sweep(60_000_000_000L);
        laned.sweep(60_000_000_000L);
        assertThat(lanes).as("the zero window, once").containsExactly("stream " + expectedLane(), "zero " + expectedLane());

        // The tail comes through Java; the client's ACK of the last byte releases the withheld one.
        byte[] tail = segment(false, longBodyEnd() - 1000, requestEnd(), TcpSegment.ACK, NO_OPTIONS, new byte[1000]);
        seg.wrap(tail, 0, tail.length);
        assertThat(laned.onServerSegment(seg, false)).isEqualTo(PASS_REWRITTEN);
        assertThat(seg.window()).isZero();
        assertThat(lanedClient(requestEnd() - 1, longBodyEnd(), NO_OPTIONS)).isEqualTo(PASS);
        assertThat(lanes).last().isEqualTo("end " + expectedLane());
        assertThat(sent).hasSize(1);
        TcpSegment release = new TcpSegment();
        assertThat(release.wrap(sent.get(0), 0, sent.get(0).length)).isTrue();
        assertThat(release.seq()).isEqualTo(longBodyEnd());
        assertThat(release.ack()).isEqualTo(requestEnd());
    }

    @Test
    void shortResponsesAndRecoveredConnectionsGetNoLane() {
        assertThat(handshakeRequestAndResponseHead(laned)).isEqualTo(PASS_REWRITTEN); // 5,000 bytes
        clientPort++;
        adoptRecovered(laned);
        assertThat(lanes).isEmpty();
    }

    @Test
    void theConnectionsEndTakesItsLaneOut() {
        handshakeRequestAndResponseHead(laned, LONG_HEAD);
        byte[] fin = segment(true, requestEnd(), SERVER_ISN + 5000, TcpSegment.ACK | TcpSegment.FIN, NO_OPTIONS,
                NO_OPTIONS);
        seg.wrap(fin, 0, fin.length);
        assertThat(laned.onClientSegment(seg)).isEqualTo(PASS_AND_FORGET);
        assertThat(lanes).containsExactly("stream " + expectedLane(), "end " + expectedLane());
        assertThat(laned.trackedFlows()).isZero();
    }

    @Test
    void aLaneThatLooksIdleIsParkedNotDroppedAndComesBackWithTheNextSegment() {
        handshakeRequestAndResponseHead(laned, LONG_HEAD);
        laneClock[0] = 2_000_000_000L;
        laned.sweep(10_000_000_000L); // gives the lane its zero window
        laneClock[0] = 13_000_000_000L;

        assertThat(laned.sweep(10_000_000_000L)).as("the kernel carries its segments: not idle").isZero();
        assertThat(laned.trackedFlows()).isEqualTo(1);
        assertThat(lanes).last().isEqualTo("end " + expectedLane());

        byte[] probe = segment(false, SERVER_ISN + 30_000_000, requestEnd(), TcpSegment.ACK, NO_OPTIONS, new byte[100]);
        seg.wrap(probe, 0, probe.length);
        assertThat(laned.onServerSegment(seg, false)).isEqualTo(PASS_REWRITTEN);
        assertThat(lanes).containsExactly("stream " + expectedLane(), "zero " + expectedLane(), "end " + expectedLane(),
                "stream " + expectedLane(), "zero " + expectedLane());

        // Parked again, and then nothing at all for another idle period: dropped.
        laneClock[0] = 24_000_000_000L;
        laned.sweep(10_000_000_000L);
        laneClock[0] = 35_000_000_000L;
        assertThat(laned.sweep(10_000_000_000L)).isEqualTo(1);
        assertThat(laned.trackedFlows()).isZero();
    }

    @Test
    void theZeroWindowWaitsUntilTheResponseHasStreamedForAWhile() {
        long[] now = {0};
        FlowEngine delayed = new FlowEngine(store, "server1", 100, () -> now[0], () -> 42L, new EngineListener() {
        }, (segment, length, destination) -> { }, 1_000_000_000L, NO_KEEPER);
        assertThat(handshakeRequestAndResponseHead(delayed)).isEqualTo(PASS_REWRITTEN);
        assertThat(seg.window()).as("a fresh response: the real window").isEqualTo(502);

        now[0] = 1_000_000_000L;
        byte[] later = segment(false, SERVER_ISN + 1 + HEAD.length(), requestEnd(), TcpSegment.ACK, NO_OPTIONS, new byte[100]);
        seg.wrap(later, 0, later.length);
        assertThat(delayed.onServerSegment(seg, false)).isEqualTo(PASS_REWRITTEN);
        assertThat(seg.window()).as("a second into the response: zero").isZero();
    }

    @Test
    void theZeroWindowCanBeTurnedOff() {
        FlowEngine plain = new FlowEngine(store, "server1", 100, System::nanoTime, () -> 42L, new EngineListener() {
        }, (segment, length, destination) -> { }, -1, NO_KEEPER);

        assertThat(handshakeRequestAndResponseHead(plain)).isEqualTo(PASS_REWRITTEN);
        assertThat(seg.ack()).isEqualTo(requestEnd() - 1);
        assertThat(seg.window()).isEqualTo(502);
    }

    @Test
    void unrecoverableResponsesAreLeftAloneAndNothingIsSaved() {
        String[] heads = {
            "HTTP/1.1 404 Not Found\r\nContent-Length: 153\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n\r\n",
            "HTTP/1.1 304 Not Modified\r\nETag: \"a\"\r\n\r\n",
        };
        for (String head : heads) {
            clientPort++;
            handshake();
            assertThat(requestAndResponseStart(head)).as(head).isEqualTo(PASS_AND_FORGET);
            // Forgotten: whatever comes next is not touched.
            assertThat(server(SERVER_ISN + 100, requestEnd(), TcpSegment.ACK, NO_OPTIONS, new byte[10]))
                    .isEqualTo(PASS_AND_FORGET);
            assertThat(seg.ack()).isEqualTo(requestEnd());
        }
        assertThat(store.records).isEmpty();
        assertThat(store.log).noneMatch(entry -> entry.startsWith("save"));
        assertThat(events).containsExactly("unprotected " + Recoverability.Reason.STATUS,
                "unprotected " + Recoverability.Reason.TRANSFER_ENCODED,
                "unprotected " + Recoverability.Reason.CONTENT_ENCODED,
                "unprotected " + Recoverability.Reason.STATUS);
        assertThat(engine.trackedFlows()).isZero();
    }

    @Test
    void headRequestsAreReleasedAsSoonAsTheRequestIsComplete() {
        handshake();
        String head = "HEAD /obj/1M.bin HTTP/1.1\r\nHost: v\r\n\r\n";
        assertThat(client(CLIENT_ISN + 1, SERVER_ISN + 1, TcpSegment.ACK, ascii(head))).isEqualTo(PASS_AND_FORGET);
        assertThat(events).containsExactly("unprotected " + Recoverability.Reason.METHOD_NOT_GET);
    }

    @Test
    void aStoreOutageLeavesTheFlowUnprotectedAndFlowing() {
        store.down = true;
        handshake();

        assertThat(requestAndResponseStart(HEAD)).isEqualTo(PASS_AND_FORGET);

        assertThat(seg.ack()).as("nothing withheld: the kernel's ACK leaves as it is").isEqualTo(requestEnd());
        assertThat(events).containsExactly("unprotected " + EngineListener.Unprotected.STORE_UNAVAILABLE);
        assertThat(engine.trackedFlows()).isZero();
    }

    @Test
    void pipelinedAndMalformedRequestsAreNotProtected() {
        handshake();
        String two = "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n";
        assertThat(client(CLIENT_ISN + 1, SERVER_ISN + 1, TcpSegment.ACK, ascii(two))).isEqualTo(PASS_AND_FORGET);
        clientPort++;
        handshake();
        assertThat(client(CLIENT_ISN + 1, SERVER_ISN + 1, TcpSegment.ACK, ascii("\u0016\u0003\u0001 TLS?\r\n\r\n")))
                .isEqualTo(PASS_AND_FORGET);
        assertThat(events).containsExactly("unprotected " + EngineListener.Unprotected.PIPELINED,
                "unprotected " + EngineListener.Unprotected.MALFORMED_REQUEST);
    }

    @Test
    void aRequestHeadTooBigToWithholdIsLetGoSoThatTheClientIsNotStuck() {
        handshake();
        byte[] start = ascii("GET / HTTP/1.1\r\nCookie: " + "c".repeat(3000)); // 3,024 bytes
        byte[] more = ascii("c".repeat(1000));
        assertThat(client(CLIENT_ISN + 1, SERVER_ISN + 1, TcpSegment.ACK, start)).isEqualTo(PASS);
        assertThat(client(CLIENT_ISN + 1 + start.length, SERVER_ISN + 1, TcpSegment.ACK, more))
                .as("4,024 bytes: still withheld").isEqualTo(PASS);
        assertThat(client(CLIENT_ISN + 1 + start.length + more.length, SERVER_ISN + 1, TcpSegment.ACK, more))
                .as("5,024 bytes without the end of the head").isEqualTo(PASS_AND_FORGET);
        assertThat(events).containsExactly("unprotected " + EngineListener.Unprotected.REQUEST_TOO_LARGE);
    }

    @Test
    void aResetRemovesTheRecord() {
        handshake();
        requestAndResponseStart(HEAD);
        assertThat(store.records).hasSize(1);

        assertThat(client(requestEnd(), SERVER_ISN + 10, TcpSegment.RST, NO_OPTIONS)).isEqualTo(PASS_AND_FORGET);

        assertThat(removals).as("kept a while: the reset may answer a wrongly failed server").containsExactly("after a reset server1");
        assertThat(store.records).isEmpty();
        assertThat(store.index.get("server1")).isEmpty();
        assertThat(engine.trackedFlows()).isZero();
    }

    @Test
    void theClientsFinEndsTheFlowAndRemovesTheRecord() {
        handshake();
        requestAndResponseStart(HEAD);
        int bodyEnd = SERVER_ISN + 1 + HEAD.length() + 5000;

        assertThat(client(requestEnd() - 1, bodyEnd, TcpSegment.ACK | TcpSegment.FIN, NO_OPTIONS))
                .isEqualTo(PASS_AND_FORGET);

        assertThat(removals).containsExactly("delete server1");
        assertThat(store.records).isEmpty();
        assertThat(engine.trackedFlows()).isZero();
    }

    @Test
    void flowsOlderThanTheAgentAreHandedBackToTheKernel() {
        assertThat(client(5, 6, TcpSegment.ACK, ascii("GET / HTTP/1.1\r\n\r\n"))).isEqualTo(PASS_AND_FORGET);
        assertThat(server(6, 30, TcpSegment.ACK, NO_OPTIONS, ascii(HEAD))).isEqualTo(PASS_AND_FORGET);
        assertThat(store.log).isEmpty();
        assertThat(events).as("the request is an unprotected response").containsExactly("unprotected UNTRACKED");
    }

    /**
     * Handshakes are logged, not queued: a SYN-ACK's copy the kernel could not deliver leaves the
     * flow without the server's options, and the server's next segment lets it go unprotected.
     */
    @Test
    void aFlowWhoseSynAckWasNeverSeenIsLetGoAtTheServersNextSegment() {
        byte[] syn = segment(true, CLIENT_ISN, 0, TcpSegment.SYN, SYN_OPTIONS, NO_OPTIONS);
        seg.wrap(syn, 0, syn.length);
        assertThat(engine.onClientSegment(seg)).isEqualTo(PASS);
        assertThat(client(CLIENT_ISN + 1, SERVER_ISN + 1, TcpSegment.ACK | TcpSegment.PSH, ascii(REQUEST))).isEqualTo(PASS);

        assertThat(server(SERVER_ISN + 1, requestEnd(), TcpSegment.ACK, NO_OPTIONS, ascii(HEAD + "body!")))
                .as("not capped: nothing is withheld for a flow that cannot be recovered").isEqualTo(PASS_AND_FORGET);
        assertThat(engine.trackedFlows()).isZero();
        assertThat(store.log).isEmpty();
        assertThat(events).containsExactly("unprotected UNTRACKED");
    }

    @Test
    void aBareAckOfAFlowAlreadyEndedIsNotCountedAsAnUnprotectedResponse() {
        handshake();
        assertThat(client(CLIENT_ISN + 1, SERVER_ISN + 1, TcpSegment.ACK | TcpSegment.FIN, NO_OPTIONS))
                .isEqualTo(PASS_AND_FORGET);
        // Queued behind the FIN before the connection was let go: the last ACK of the close.
        assertThat(client(CLIENT_ISN + 2, SERVER_ISN + 2, TcpSegment.ACK, NO_OPTIONS)).isEqualTo(PASS_AND_FORGET);
        assertThat(events).isEmpty();
    }

    @Test
    void aFullTableProtectsNoMoreFlowsButLetsThemThrough() {
        FlowEngine small = new FlowEngine(store, "s", 1, System::nanoTime, () -> 0L, new EngineListener() {
        });
        byte[] syn = segment(true, CLIENT_ISN, 0, TcpSegment.SYN, SYN_OPTIONS, NO_OPTIONS);
        seg.wrap(syn, 0, syn.length);
        assertThat(small.onClientSegment(seg)).isEqualTo(PASS);
        clientPort++;
        syn = segment(true, CLIENT_ISN, 0, TcpSegment.SYN, SYN_OPTIONS, NO_OPTIONS);
        seg.wrap(syn, 0, syn.length);
        assertThat(small.onClientSegment(seg)).isEqualTo(PASS_AND_FORGET);
        assertThat(small.trackedFlows()).isEqualTo(1);
        assertThat(small.sweep(-1)).isEqualTo(1);
    }
}
