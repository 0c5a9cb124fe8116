package io.trods.agent.packet;

import java.io.ByteArrayOutputStream;

/** Builds IPv4 TCP segments for tests, with a correct checksum unless told otherwise. */
final class Packets {

    int src = 0xC6120002;   // 198.18.0.2
    int dst = 0xC613000B;   // 198.19.0.11
    int srcPort = 40000;
    int dstPort = 80;
    int seq;
    int ack;
    int flags = TcpSegment.ACK;
    int window = 502;
    byte[] options = new byte[0];
    byte[] payload = new byte[0];

    static Packets segment() {
        return new Packets();
    }

    Packets seq(int value) {
        seq = value;
        return this;
    }

    Packets ack(int value) {
        ack = value;
        return this;
    }

    Packets flags(int value) {
        flags = value;
        return this;
    }

    Packets payload(String text) {
        payload = text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        return this;
    }

    Packets options(int... bytes) {
        options = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            options[i] = (byte) bytes[i];
        }
        return this;
    }

    /** The options Linux 6.x puts on a SYN: MSS 1460, SACK permitted, timestamps, window scale 7. */
    Packets linuxSynOptions(int tsVal) {
        return options(2, 4, 0x05, 0xB4, 4, 2, 8, 10, tsVal >>> 24, tsVal >>> 16 & 0xFF, tsVal >>> 8 & 0xFF,
                tsVal & 0xFF, 0, 0, 0, 0, 1, 3, 3, 7);
    }

    byte[] build() {
        int tcpLength = 20 + options.length + payload.length;
        byte[] p = new byte[20 + tcpLength];
        p[0] = 0x45;
        Bytes.put16(p, 2, p.length);
        p[8] = 64;
        p[9] = 6;
        Bytes.put32(p, 12, src);
        Bytes.put32(p, 16, dst);
        Bytes.put16(p, 20, srcPort);
        Bytes.put16(p, 22, dstPort);
        Bytes.put32(p, 24, seq);
        Bytes.put32(p, 28, ack);
        p[32] = (byte) (((20 + options.length) / 4) << 4);
        p[33] = (byte) flags;
        Bytes.put16(p, 34, window);
        System.arraycopy(options, 0, p, 40, options.length);
        System.arraycopy(payload, 0, p, 40 + options.length, payload.length);
        TcpSegment s = new TcpSegment();
        if (!s.wrap(p, 0, p.length)) {
            throw new IllegalStateException("built an invalid segment");
        }
        Bytes.put16(p, 36, s.computeChecksum());
        return p;
    }

    /** The packet at an offset inside a larger buffer, as a queue's receive buffer holds it. */
    static byte[] embedded(byte[] packet, int offset) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[offset], 0, offset);
        out.write(packet, 0, packet.length);
        out.write(new byte[7], 0, 7);
        return out.toByteArray();
    }
}
