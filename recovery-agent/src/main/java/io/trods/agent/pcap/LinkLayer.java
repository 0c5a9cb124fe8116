package io.trods.agent.pcap;

/**
 * Where the IPv4 packet starts in a captured frame, for the link types tcpdump writes on Linux:
 * Ethernet (a veth, a bridge), Linux cooked v1 and v2 ({@code -i any}), and raw IP.
 */
final class LinkLayer {

    // DLT_* values as libpcap reports them (pcap_datalink), not the file's LINKTYPE_* numbers.
    static final int DLT_EN10MB = 1;
    static final int DLT_RAW = 12;
    static final int DLT_RAW_OPENBSD = 14;
    static final int DLT_LINUX_SLL = 113;
    static final int DLT_IPV4 = 228;
    static final int DLT_LINUX_SLL2 = 276;

    private static final int ETHERTYPE_IPV4 = 0x0800;
    private static final int ETHERTYPE_VLAN = 0x8100;
    private static final int ETHERTYPE_QINQ = 0x88A8;

    private LinkLayer() {
    }

    static boolean supported(int dlt) {
        return switch (dlt) {
            case DLT_EN10MB, DLT_RAW, DLT_RAW_OPENBSD, DLT_LINUX_SLL, DLT_IPV4, DLT_LINUX_SLL2 -> true;
            default -> false;
        };
    }

    /** The offset of the IPv4 header in {@code frame}, or -1 if the frame carries no IPv4 packet. */
    static int ipv4Offset(int dlt, byte[] frame) {
        int offset = switch (dlt) {
            case DLT_EN10MB -> ethernet(frame);
            case DLT_LINUX_SLL -> frame.length >= 16 && u16(frame, 14) == ETHERTYPE_IPV4 ? 16 : -1;
            case DLT_LINUX_SLL2 -> frame.length >= 20 && u16(frame, 0) == ETHERTYPE_IPV4 ? 20 : -1;
            case DLT_RAW, DLT_RAW_OPENBSD, DLT_IPV4 -> 0;
            default -> -1;
        };
        return offset >= 0 && offset < frame.length && (frame[offset] & 0xF0) == 0x40 ? offset : -1;
    }

    private static int ethernet(byte[] frame) {
        int at = 12;
        while (frame.length >= at + 2) {
            int type = u16(frame, at);
            if (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ) {
                at += 4; // an 802.1Q tag: the real type follows it
                continue;
            }
            return type == ETHERTYPE_IPV4 ? at + 2 : -1;
        }
        return -1;
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xFF) << 8 | b[at + 1] & 0xFF;
    }
}
