package io.trods.agent.pcap;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes IPv4 packets to a classic pcap stream (LINKTYPE_RAW, microsecond timestamps), as tcpdump
 * and Wireshark read it. Plain Java rather than libpcap's dumper: the agent's debug dump then needs
 * no native library on the servers, and the writer knows exactly how many bytes it wrote (the dump's
 * size cap). Not thread-safe.
 */
public final class PcapWriter implements Closeable {

    public static final int FILE_HEADER_BYTES = 24;
    public static final int RECORD_HEADER_BYTES = 16;
    /** The largest packet a record holds whole: a GSO super-packet is at most 64 KiB. */
    public static final int SNAP_LENGTH = 262_144;
    private static final int MAGIC_MICROS = 0xA1B2C3D4;
    private static final int LINKTYPE_RAW = 101;

    private final OutputStream out;
    private final byte[] header = new byte[FILE_HEADER_BYTES];
    private long bytes;

    /** Writes the file header at once. */
    public PcapWriter(OutputStream out) throws IOException {
        this.out = out;
        put32(0, MAGIC_MICROS);
        put16(4, 2); // version 2.4
        put16(6, 4);
        put32(8, 0); // timezone offset and accuracy: always 0
        put32(12, 0);
        put32(16, SNAP_LENGTH);
        put32(20, LINKTYPE_RAW);
        out.write(header, 0, FILE_HEADER_BYTES);
        bytes = FILE_HEADER_BYTES;
    }

    /** Bytes a record of a packet of {@code length} bytes takes in the file. */
    public static long recordBytes(int length) {
        return RECORD_HEADER_BYTES + Math.min(length, SNAP_LENGTH);
    }

    /** Appends one packet, from its IPv4 header on; longer ones are cut at {@link #SNAP_LENGTH}. */
    public void write(long timestampMicros, byte[] packet, int offset, int length) throws IOException {
        int captured = Math.min(length, SNAP_LENGTH);
        put32(0, (int) Math.floorDiv(timestampMicros, 1_000_000));
        put32(4, (int) Math.floorMod(timestampMicros, 1_000_000));
        put32(8, captured);
        put32(12, length);
        out.write(header, 0, RECORD_HEADER_BYTES);
        out.write(packet, offset, captured);
        bytes += RECORD_HEADER_BYTES + captured;
    }

    /** Bytes written so far, the file header included. */
    public long bytes() {
        return bytes;
    }

    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }

    // Little-endian: the byte order tcpdump itself writes on x86 and ARM.
    private void put32(int at, int value) {
        put16(at, value & 0xFFFF);
        put16(at + 2, value >>> 16);
    }

    private void put16(int at, int value) {
        header[at] = (byte) value;
        header[at + 1] = (byte) (value >>> 8);
    }
}
