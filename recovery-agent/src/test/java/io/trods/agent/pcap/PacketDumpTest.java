package io.trods.agent.pcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PacketDumpTest {

    @TempDir
    Path dir;

    @Test
    void whatTheDumpWritesIsReadBackByTheReaderAndByTcpdump() throws Exception {
        Path file = dir.resolve("agent.pcap");
        List<CapturedPacket> recorded = PcapReader.readIpv4(RecordedFlowsTest.Capture.resource("get-200.pcap"));
        byte[] buffer = new byte[70_000]; // packets at an offset inside a larger buffer, as the queue hands them over

        PacketDump dump = PacketDump.start(file, 16L << 20);
        for (CapturedPacket packet : recorded) {
            System.arraycopy(packet.ip(), 0, buffer, 100, packet.ip().length);
            dump.record(buffer, 100, packet.ip().length);
        }
        dump.close();

        assertThat(dump.written()).isEqualTo(recorded.size());
        assertThat(dump.dropped()).isZero();
        List<CapturedPacket> read = PcapReader.readIpv4(file);
        assertThat(read).hasSameSizeAs(recorded);
        for (int i = 0; i < read.size(); i++) {
            assertThat(read.get(i).ip()).isEqualTo(recorded.get(i).ip());
            assertThat(read.get(i).truncated()).isFalse();
        }
        long now = System.currentTimeMillis() * 1000;
        assertThat(read.get(0).timestampMicros()).isBetween(now - 60_000_000, now);
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        if (Tcpdump.available()) {
            assertThat(Tcpdump.count(file)).isEqualTo(recorded.size());
        }
    }

    @Test
    void theDumpRotatesAtHalfItsCapAndKeepsTheMostRecentPackets() throws Exception {
        Path file = dir.resolve("agent.pcap");
        long cap = PacketDump.MIN_MAX_BYTES;
        PacketDump dump = PacketDump.start(file, cap);
        int count = 60; // 60 x 40 KB: more than twice the cap
        for (int i = 0; i < count; i++) {
            dump.record(packet(i, 40_000), 0, 40_000);
            Thread.sleep(1); // lets the writer keep up: a full queue would drop, which is another test
        }
        dump.close();

        Path previous = dir.resolve("agent.pcap.1");
        assertThat(Files.size(file)).isLessThanOrEqualTo(cap / 2);
        assertThat(Files.size(previous)).isLessThanOrEqualTo(cap / 2);
        List<CapturedPacket> newest = PcapReader.readIpv4(file);
        List<CapturedPacket> older = PcapReader.readIpv4(previous);
        assertThat(newest).isNotEmpty();
        assertThat(id(newest.get(newest.size() - 1))).isEqualTo(count - 1);
        assertThat(id(older.get(older.size() - 1)) + 1).isEqualTo(id(newest.get(0))); // nothing lost between them
        assertThat(dump.written()).isEqualTo(count);
        assertThat(dir.toFile().list()).containsExactlyInAnyOrder("agent.pcap", "agent.pcap.1");
    }

    @Test
    void aFileLeftByAnEarlierRunBecomesTheOlderHalf() throws Exception {
        Path file = dir.resolve("agent.pcap");
        Files.writeString(file, "an earlier run's dump");

        PacketDump dump = PacketDump.start(file, PacketDump.MIN_MAX_BYTES);
        dump.record(packet(7, 60), 0, 60);
        dump.close();

        assertThat(Files.readString(dir.resolve("agent.pcap.1"))).isEqualTo("an earlier run's dump");
        assertThat(PcapReader.readIpv4(file)).singleElement().satisfies(p -> assertThat(id(p)).isEqualTo(7));
    }

    @Test
    void packetsAfterCloseAreDroppedAndCounted() throws Exception {
        PacketDump dump = PacketDump.start(dir.resolve("agent.pcap"), PacketDump.MIN_MAX_BYTES);
        dump.close();
        dump.record(packet(1, 60), 0, 60);

        assertThat(dump.dropped()).isEqualTo(1);
        assertThat(dump.written()).isZero();
    }

    @Test
    void aCapBelowOneMebibyteOrAnUncreatableFileIsRefused() {
        assertThatThrownBy(() -> PacketDump.start(dir.resolve("a.pcap"), 64 * 1024))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PacketDump.start(dir.resolve("absent/a.pcap"), PacketDump.MIN_MAX_BYTES))
                .isInstanceOf(IOException.class);
    }

    /** A minimal IPv4 packet of {@code length} bytes whose IP id field carries {@code id}. */
    private static byte[] packet(int id, int length) {
        byte[] p = new byte[length];
        p[0] = 0x45;
        p[2] = (byte) (length >>> 8);
        p[3] = (byte) length;
        p[4] = (byte) (id >>> 8);
        p[5] = (byte) id;
        p[8] = 64;
        p[9] = 17;
        return p;
    }

    private static int id(CapturedPacket packet) {
        return (packet.ip()[4] & 0xFF) << 8 | packet.ip()[5] & 0xFF;
    }
}
