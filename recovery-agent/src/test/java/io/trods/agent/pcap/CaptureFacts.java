package io.trods.agent.pcap;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What a capture says on its own, read from the raw bytes with none of the agent's packet or HTTP
 * code: the expectations the replay is checked against. Sequence numbers are unsigned 32-bit values
 * in longs; compare them with {@link #atOrAfter}.
 */
final class CaptureFacts {

    /** A TCP segment's fields, straight from the header. */
    record Tcp(int index, long micros, int srcPort, int dstPort, long seq, long ack, int flags, int window,
            byte[] payload) {

        boolean has(int flag) {
            return (flags & flag) != 0;
        }

        String text() {
            return new String(payload, StandardCharsets.ISO_8859_1);
        }
    }

    /** A request head that arrived in one segment: client sequence numbers of its first byte and after its last. */
    record Request(int index, long start, long end, String text) {}

    /**
     * A response head, found by its status line and the blank line after it.
     *
     * @param objectIsn the server's sequence number of the first body byte
     * @param bodyEnd the sequence number after the last body byte (Content-Length on)
     */
    record Response(int index, long micros, long start, String head, long objectIsn, long bodyEnd) {

        /** A header's value as sent, null if absent. */
        String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).strip();
                }
            }
            return null;
        }

        int status() {
            return Integer.parseInt(head.substring(9, 12));
        }
    }

    static final int FIN = 0x01;
    static final int SYN = 0x02;
    static final int RST = 0x04;
    static final int ACK = 0x10;

    final List<Tcp> segments = new ArrayList<>();
    final int serverPort;

    CaptureFacts(List<CapturedPacket> packets, int serverPort) {
        this.serverPort = serverPort;
        for (int i = 0; i < packets.size(); i++) {
            byte[] b = packets.get(i).ip();
            int ihl = (b[0] & 0x0F) * 4;
            int total = u16(b, 2);
            int doff = (b[ihl + 12] & 0xF0) >>> 2;
            byte[] payload = java.util.Arrays.copyOfRange(b, ihl + doff, total);
            segments.add(new Tcp(i, packets.get(i).timestampMicros(), u16(b, ihl), u16(b, ihl + 2), u32(b, ihl + 4),
                    u32(b, ihl + 8), b[ihl + 13] & 0x3F, u16(b, ihl + 14), payload));
        }
    }

    boolean fromClient(Tcp s) {
        return s.dstPort() == serverPort;
    }

    long clientIsn() {
        return segments.stream().filter(s -> fromClient(s) && s.has(SYN)).findFirst().orElseThrow().seq();
    }

    long serverIsn() {
        return segments.stream().filter(s -> !fromClient(s) && s.has(SYN)).findFirst().orElseThrow().seq();
    }

    List<Request> requests() {
        List<Request> requests = new ArrayList<>();
        for (Tcp s : segments) {
            String text = s.text();
            if (fromClient(s) && text.matches("(?s)^(GET|HEAD|POST|PUT) \\S+ HTTP/1\\.[01]\r\n.*\r\n\r\n$")) {
                requests.add(new Request(s.index(), s.seq(), (s.seq() + s.payload().length) & 0xFFFF_FFFFL, text));
            }
        }
        return requests;
    }

    /** The response heads, each the first segment of its response (a retransmission of one is skipped). */
    List<Response> responses() {
        List<Response> responses = new ArrayList<>();
        for (Tcp s : segments) {
            String text = s.text();
            int blank = text.indexOf("\r\n\r\n");
            if (fromClient(s) || !text.startsWith("HTTP/1.") || blank < 0
                    || responses.stream().anyMatch(r -> r.start() == s.seq())) {
                continue;
            }
            String head = text.substring(0, blank + 4);
            long objectIsn = (s.seq() + head.length()) & 0xFFFF_FFFFL;
            String length = new Response(0, 0, 0, head, 0, 0).header("Content-Length");
            long bodyEnd = length == null ? -1 : (objectIsn + Long.parseLong(length)) & 0xFFFF_FFFFL;
            responses.add(new Response(s.index(), s.micros(), s.seq(), head, objectIsn, bodyEnd));
        }
        return responses;
    }

    /** The first client segment at or after {@code from} that acknowledges {@code seq}; -1 if none. */
    int clientAckReaching(long seq, int from) {
        for (Tcp s : segments.subList(from, segments.size())) {
            if (fromClient(s) && s.has(ACK) && atOrAfter(s.ack(), seq)) {
                return s.index();
            }
        }
        return -1;
    }

    /** The index of the first client segment with FIN or RST; -1 if none. */
    int clientClose() {
        return segments.stream().filter(s -> fromClient(s) && (s.has(FIN) || s.has(RST))).mapToInt(Tcp::index)
                .findFirst().orElse(-1);
    }

    /** a >= b in sequence space (RFC 1982). */
    static boolean atOrAfter(long a, long b) {
        return (int) (a - b) >= 0;
    }


    private static int u16(byte[] b, int at) {
        return (b[at] & 0xFF) << 8 | b[at + 1] & 0xFF;
    }

    private static long u32(byte[] b, int at) {
        return (long) u16(b, at) << 16 | u16(b, at + 2);
    }
}
