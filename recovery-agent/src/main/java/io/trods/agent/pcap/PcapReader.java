package io.trods.agent.pcap;

import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;

/**
 * Reads a capture file (pcap or pcapng, whatever libpcap reads) into its IPv4 packets. libpcap does
 * the file formats, byte orders and timestamp precisions; this class only strips the link layer.
 * Frames without IPv4 (ARP, IPv6) are skipped.
 */
public final class PcapReader {

    private PcapReader() {
    }

    /** Every IPv4 packet of the file, in capture order. */
    public static List<CapturedPacket> readIpv4(Path file) throws IOException {
        if (!Files.isReadable(file)) {
            throw new IOException("cannot read the capture " + file);
        }
        PcapHandle handle;
        try {
            handle = Pcaps.openOffline(file.toString(), PcapHandle.TimestampPrecision.MICRO);
        } catch (PcapNativeException e) {
            throw new IOException("libpcap cannot open " + file + ": " + e.getMessage(), e);
        }
        try {
            int dlt = handle.getDlt().value();
            if (!LinkLayer.supported(dlt)) {
                throw new IOException(file + ": link type " + handle.getDlt() + " is not supported "
                        + "(Ethernet, Linux cooked v1/v2 and raw IP are)");
            }
            return read(handle, dlt);
        } finally {
            handle.close();
        }
    }

    private static List<CapturedPacket> read(PcapHandle handle, int dlt) throws IOException {
        List<CapturedPacket> packets = new ArrayList<>();
        while (true) {
            byte[] frame;
            try {
                frame = handle.getNextRawPacketEx();
            } catch (EOFException e) {
                return packets;
            } catch (TimeoutException e) {
                continue; // not for files, but the API declares it
            } catch (PcapNativeException | NotOpenException e) {
                throw new IOException("reading the capture failed after " + packets.size() + " packets: "
                        + e.getMessage(), e);
            }
            int offset = LinkLayer.ipv4Offset(dlt, frame);
            if (offset < 0) {
                continue;
            }
            packets.add(new CapturedPacket(micros(handle.getTimestamp()),
                    Arrays.copyOfRange(frame, offset, frame.length), handle.getOriginalLength() - offset));
        }
    }

    private static long micros(Timestamp timestamp) {
        return Math.floorDiv(timestamp.getTime(), 1000) * 1_000_000 + timestamp.getNanos() / 1000;
    }
}
