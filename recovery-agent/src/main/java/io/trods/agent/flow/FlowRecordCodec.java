package io.trods.agent.flow;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * The stored form of a {@link FlowRecord}: compact, versioned binary. Every agent of a cluster
 * reads what any other wrote, so the format only ever grows by new versions, and a record of an
 * unknown version is refused (that flow is then not recovered) rather than misread.
 */
public final class FlowRecordCodec {

    private static final int MAGIC = 0x5452; // "TR"
    static final int VERSION = 1;
    /** Heads are bounded by the parsers (16 KiB each); this bounds what a corrupt record can claim. */
    private static final int MAX_BYTES = 64 * 1024;

    /** Where the serving server's name starts, behind its 2-byte length (see {@link #encode}). */
    public static final int SERVER_OFFSET = 11;

    private FlowRecordCodec() {
    }

    /**
     * The bytes at {@link #SERVER_OFFSET} of every record that names {@code server} as its carrier:
     * the name's length and the name. The store compares them to remove a record only while it
     * still names the server whose connection ended.
     */
    public static byte[] serverMark(String server) {
        byte[] name = server.getBytes(StandardCharsets.UTF_8);
        return java.nio.ByteBuffer.allocate(2 + name.length).putShort((short) name.length).put(name).array();
    }

    /** One array of the exact size, written once (it is encoded for every protected response). */
    public static byte[] encode(FlowRecord r) {
        byte[] server = r.server().getBytes(StandardCharsets.UTF_8);
        int size = 2 + 1 + 4 + 2 + 2 + 2 + server.length + 4 + 1 + 1 + 1 + 4 + 4 + r.request().length + 4 + 4
                + r.responseHead().length + 8;
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(size); // big-endian, as DataOutputStream wrote
        out.putShort((short) MAGIC);
        out.put((byte) VERSION);
        out.putInt(r.key().clientAddress());
        out.putShort((short) r.key().clientPort());
        out.putShort((short) r.key().servicePort());
        out.putShort((short) server.length);
        out.put(server);
        out.putInt(r.clientMss());
        out.put((byte) r.clientWindowScale());
        out.put((byte) r.serverWindowScale());
        out.put((byte) ((r.sackPermitted() ? 1 : 0) | (r.timestamps() ? 2 : 0)));
        out.putInt(r.requestStart());
        out.putInt(r.request().length);
        out.put(r.request());
        out.putInt(r.responseStart());
        out.putInt(r.responseHead().length);
        out.put(r.responseHead());
        out.putLong(r.savedAtMillis());
        return out.array();
    }

    /** @throws IllegalArgumentException for anything but a complete record of a known version */
    public static FlowRecord decode(byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            if (in.readUnsignedShort() != MAGIC) {
                throw new IllegalArgumentException("not a TRODS flow record");
            }
            int version = in.readUnsignedByte();
            if (version != VERSION) {
                throw new IllegalArgumentException("flow record version " + version + " is not known here");
            }
            FlowKey key = new FlowKey(in.readInt(), in.readUnsignedShort(), in.readUnsignedShort());
            String server = new String(readBytes(in, in.readUnsignedShort()), StandardCharsets.UTF_8);
            int mss = in.readInt();
            int clientScale = in.readByte();
            int serverScale = in.readByte();
            int flags = in.readUnsignedByte();
            int requestStart = in.readInt();
            byte[] request = readBytes(in, in.readInt());
            int responseStart = in.readInt();
            byte[] responseHead = readBytes(in, in.readInt());
            long savedAt = in.readLong();
            if (in.available() != 0) {
                throw new IllegalArgumentException("trailing bytes after a flow record");
            }
            return new FlowRecord(key, server, mss, clientScale, serverScale, (flags & 1) != 0, (flags & 2) != 0,
                    requestStart, request, responseStart, responseHead, savedAt);
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated flow record", e);
        }
    }

    private static byte[] readBytes(DataInputStream in, int length) throws IOException {
        if (length < 0 || length > MAX_BYTES) {
            throw new IllegalArgumentException("a field of " + length + " bytes in a flow record");
        }
        byte[] bytes = in.readNBytes(length);
        if (bytes.length != length) {
            throw new IllegalArgumentException("truncated flow record");
        }
        return bytes;
    }
}
