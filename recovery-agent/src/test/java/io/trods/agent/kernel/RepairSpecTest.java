package io.trods.agent.kernel;

import static io.trods.agent.kernel.StructsTest.CLIENT;
import static io.trods.agent.kernel.StructsTest.VIP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import org.junit.jupiter.api.Test;

class RepairSpecTest {

    static RepairSpec spec(int localPort, int remotePort, int mss, int sndWscale, int rcvWscale, int peerWindow) {
        return new RepairSpec(VIP, localPort, CLIENT, remotePort, 1, 2, mss, sndWscale, rcvWscale, true, true, 3, 4, peerWindow);
    }

    @Test
    void acceptsTheLimits() {
        spec(1, 65535, RepairSpec.MIN_MSS, 0, 14, 0);
        spec(65535, 1, 65535, 14, 0, 65535);
    }

    @Test
    void rejectsBadPorts() {
        assertThatIllegalArgumentException().isThrownBy(() -> spec(0, 1, 1460, 7, 7, 1)).withMessageContaining("localPort");
        assertThatIllegalArgumentException().isThrownBy(() -> spec(1, 65536, 1460, 7, 7, 1)).withMessageContaining("remotePort");
    }

    @Test
    void rejectsAnMssTheKernelWouldRefuse() {
        assertThatIllegalArgumentException().isThrownBy(() -> spec(80, 1, 0, 7, 7, 1)).withMessageContaining("mss");
        assertThatIllegalArgumentException().isThrownBy(() -> spec(80, 1, 87, 7, 7, 1)).withMessageContaining("mss");
        assertThatIllegalArgumentException().isThrownBy(() -> spec(80, 1, 65536, 7, 7, 1)).withMessageContaining("mss");
    }

    @Test
    void rejectsWindowScalesAbove14() {
        assertThatIllegalArgumentException().isThrownBy(() -> spec(80, 1, 1460, 15, 7, 1)).withMessageContaining("sndWscale");
        assertThatIllegalArgumentException().isThrownBy(() -> spec(80, 1, 1460, 7, -1, 1)).withMessageContaining("rcvWscale");
    }

    @Test
    void rejectsAWindowFieldWiderThan16Bits() {
        assertThatIllegalArgumentException().isThrownBy(() -> spec(80, 1, 1460, 7, 7, 65536)).withMessageContaining("peerWindow");
    }

    @Test
    void requiresAddresses() {
        assertThatNullPointerException().isThrownBy(
                () -> new RepairSpec(null, 80, CLIENT, 1, 0, 0, 1460, 0, 0, false, false, 0, 0, 0));
    }

    @Test
    void showsSequenceNumbersUnsigned() {
        RepairSpec s = spec(80, 40000, 1460, 7, 7, 1).withSequences(0xFFFFFFFE, 0x80000000).withTimestamps(-1, 9);

        assertThat(s.toString()).contains("sendSeq=4294967294", "recvSeq=2147483648", "tsVal=4294967295", "tsEcr=9");
        assertThat(s.mss()).isEqualTo(1460);
    }
}
