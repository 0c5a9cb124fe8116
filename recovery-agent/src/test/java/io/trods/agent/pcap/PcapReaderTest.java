package io.trods.agent.pcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PcapReaderTest {

    static final byte[] IPV4 = {0x45, 0, 0, 40, 1, 2, 3, 4, 64, 6};

    @ParameterizedTest
    @ValueSource(strings = {"get-200.pcap", "range-206.pcap", "keepalive-2.pcap", "gzip-chunked.pcap"})
    void everyPacketOfARecordedCaptureIsReadAsTcpdumpReadsIt(String name) throws Exception {
        Path file = RecordedFlowsTest.Capture.resource(name);
        List<CapturedPacket> packets = PcapReader.readIpv4(file);

        assertThat(packets).isNotEmpty().allMatch(p -> !p.truncated() && (p.ip()[0] & 0xF0) == 0x40);
        assertThat(packets).allMatch(p -> p.ip()[9] == 6, "TCP");
        // The first packet is the client's SYN to port 80, at a time in this decade.
        byte[] syn = packets.get(0).ip();
        assertThat((syn[22] & 0xFF) << 8 | syn[23] & 0xFF).isEqualTo(80);
        assertThat(syn[33] & 0x12).isEqualTo(0x02);
        assertThat(packets.get(0).timestampMicros()).isBetween(1_700_000_000_000_000L, 2_100_000_000_000_000L);
        for (int i = 1; i < packets.size(); i++) {
            assertThat(packets.get(i).timestampMicros()).isGreaterThanOrEqualTo(packets.get(i - 1).timestampMicros());
        }
        if (Tcpdump.available()) {
            assertThat((long) packets.size()).isEqualTo(Tcpdump.count(file));
        }
    }

    @Test
    void ethernetWithAndWithoutVlanTagsCookedV1V2AndRawFramesGiveTheIpv4Header() {
        byte[] ethernet = frame(new byte[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00});
        byte[] tagged = frame(new byte[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, (byte) 0x81, 0, 0, 5, 0x08, 0x00});
        byte[] sll = frame(new byte[] {0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00});
        byte[] sll2 = frame(new byte[] {0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0});

        assertThat(LinkLayer.ipv4Offset(LinkLayer.DLT_EN10MB, ethernet)).isEqualTo(14);
        assertThat(LinkLayer.ipv4Offset(LinkLayer.DLT_EN10MB, tagged)).isEqualTo(18);
        assertThat(LinkLayer.ipv4Offset(LinkLayer.DLT_LINUX_SLL, sll)).isEqualTo(16);
        assertThat(LinkLayer.ipv4Offset(LinkLayer.DLT_LINUX_SLL2, sll2)).isEqualTo(20);
        assertThat(LinkLayer.ipv4Offset(LinkLayer.DLT_RAW, IPV4)).isZero();
    }

    @Test
    void framesWithoutIpv4AreSkipped() {
        byte[] arp = frame(new byte[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x06});
        byte[] ipv6 = {0x60, 0, 0, 0, 0, 20, 6, 64};
        byte[] ipv6InSll2 = new byte[28];
        ipv6InSll2[0] = (byte) 0x86;
        ipv6InSll2[1] = (byte) 0xDD;
        ipv6InSll2[20] = 0x60;

        assertThat(LinkLayer.ipv4Offset(LinkLayer.DLT_EN10MB, arp)).isEqualTo(-1);
        assertThat(LinkLayer.ipv4Offset(LinkLayer.DLT_RAW, ipv6)).isEqualTo(-1);
        assertThat(LinkLayer.ipv4Offset(LinkLayer.DLT_LINUX_SLL2, ipv6InSll2)).isEqualTo(-1);
        assertThat(LinkLayer.ipv4Offset(LinkLayer.DLT_EN10MB, new byte[13])).isEqualTo(-1);
    }

    @Test
    void aFileThatIsNotACaptureIsAnIoError(@TempDir Path dir) throws IOException {
        Path text = Files.writeString(dir.resolve("not.pcap"), "hello, this is not a capture at all\n");

        assertThatThrownBy(() -> PcapReader.readIpv4(text)).isInstanceOf(IOException.class).hasMessageContaining("libpcap");
        assertThatThrownBy(() -> PcapReader.readIpv4(dir.resolve("absent.pcap"))).isInstanceOf(IOException.class);
    }

    @Test
    void libpcapIsFound() {
        // The reader needs the system's libpcap (Debian: libpcap0.8, a dependency of tcpdump).
        assertThat(org.pcap4j.core.Pcaps.libVersion()).startsWith("libpcap version");
    }

    /** A link-layer header followed by an IPv4 header's first bytes. */
    private static byte[] frame(byte[] linkHeader) {
        byte[] frame = new byte[linkHeader.length + IPV4.length];
        System.arraycopy(linkHeader, 0, frame, 0, linkHeader.length);
        System.arraycopy(IPV4, 0, frame, linkHeader.length, IPV4.length);
        return frame;
    }
}
