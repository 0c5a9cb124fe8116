package io.trods.agent.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class StructsTest {

    static final Inet4Address VIP = ip("198.18.99.2");
    static final Inet4Address CLIENT = ip("198.18.99.1");

    static RepairSpec spec(boolean sack, boolean timestamps) {
        return new RepairSpec(VIP, 80, CLIENT, 40000, 0xF0000001, 7, 1460, 7, 9, sack, timestamps, 1001, 5, 501);
    }

    @Test
    void sockaddrInHasHostOrderFamilyAndNetworkOrderPortAndAddress() {
        byte[] sa = Structs.sockaddrIn(VIP, 0x1F90);

        assertThat(sa).hasSize(16);
        byte[] family = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? new byte[] {2, 0} : new byte[] {0, 2};
        assertThat(sa).startsWith(family[0], family[1], (byte) 0x1F, (byte) 0x90, (byte) 198, (byte) 18, (byte) 99, (byte) 2);
        assertThat(sa).endsWith(0, 0, 0, 0, 0, 0, 0, 0);
    }

    @Test
    void repairOptionsArePairsOfCodeAndValue() {
        int[] out = new int[Structs.REPAIR_OPTIONS_MAX_INTS];

        int n = Structs.repairOptions(spec(true, true), out);

        assertThat(n).isEqualTo(8);
        // TCPOPT_WINDOW: the client's scale (snd_wscale) low, ours (rcv_wscale) high, as the kernel splits it
        assertThat(out).containsExactly(2, 1460, 3, 7 | (9 << 16), 4, 0, 8, 0);
    }

    @Test
    void repairOptionsLeaveOutWhatWasNotNegotiated() {
        int[] out = new int[Structs.REPAIR_OPTIONS_MAX_INTS];

        int n = Structs.repairOptions(spec(false, false), out);

        assertThat(n).isEqualTo(4);
        assertThat(out).startsWith(2, 1460, 3, 7 | (9 << 16));
    }

    @Test
    void repairWindowScalesTheClientsWindowAndStartsAtRecvSeq() {
        int[] out = new int[Structs.REPAIR_WINDOW_INTS];

        Structs.repairWindow(spec(true, true), out);

        // snd_wl1, snd_wnd, max_window, rcv_wnd, rcv_wup
        assertThat(out).containsExactly(7, 501 << 7, 501 << 7, 65535 >> 9 << 9, 7);
    }

    @Test
    void largestClientWindowFitsInAnUnsigned32BitField() {
        RepairSpec s = new RepairSpec(VIP, 80, CLIENT, 1, 0, 0, 1460, 14, 14, true, true, 0, 0, 65535);
        int[] out = new int[Structs.REPAIR_WINDOW_INTS];

        Structs.repairWindow(s, out);

        assertThat(Integer.toUnsignedLong(out[1])).isEqualTo(65535L << 14);
    }

    @Test
    void receiveWindowIsAtMost64KiBAndExactInScaledUnits() {
        assertThat(Structs.receiveWindow(0)).isEqualTo(65535);
        assertThat(Structs.receiveWindow(7)).isEqualTo(65408);
        assertThat(Structs.receiveWindow(14)).isEqualTo(49152);
    }

    @Test
    void timestampValueClearsTheMicrosecondBitRoundingUp() {
        assertThat(Structs.timestampValue(1000)).isEqualTo(1000);
        assertThat(Structs.timestampValue(1001)).isEqualTo(1002);
        assertThat(Structs.timestampValue(-1)).isZero(); // 0xFFFFFFFF wraps to 0, which PAWS takes as after it
        assertThat(Structs.timestampValue(0x7FFFFFFF)).isEqualTo(0x80000000);
    }

    @Test
    void userMssStaysWithinWhatTcpMaxsegAccepts() {
        assertThat(Structs.userMss(1460)).isEqualTo(1460);
        assertThat(Structs.userMss(65495)).isEqualTo(32767);
    }

    static Inet4Address ip(String literal) {
        try {
            return (Inet4Address) InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
