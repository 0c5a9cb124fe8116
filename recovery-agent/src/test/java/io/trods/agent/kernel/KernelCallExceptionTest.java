package io.trods.agent.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KernelCallExceptionTest {

    @Test
    void namesTheOperationAndTheErrnoWithItsText() {
        KernelCallException e = new KernelCallException("setsockopt(TCP_REPAIR_OPTIONS)", LibC.EPERM);

        assertThat(e.operation()).isEqualTo("setsockopt(TCP_REPAIR_OPTIONS)");
        assertThat(e.errno()).isEqualTo(LibC.EPERM);
        assertThat(e).hasMessage("setsockopt(TCP_REPAIR_OPTIONS) failed: errno 1 (Operation not permitted)");
    }

    @Test
    void errnoOfAFailedDirectCallReachesJava() {
        assertThat(LibC.close(-1)).isEqualTo(-1);

        assertThat(KernelCallException.last("close").errno()).isEqualTo(LibC.EBADF);
    }

    @Test
    void missingNamespaceIsAnOpenError() {
        assertThatThrownBy(() -> NetNamespace.open("trods-it-does-not-exist"))
                .isInstanceOfSatisfying(KernelCallException.class, e -> {
                    assertThat(e.errno()).isEqualTo(LibC.ENOENT);
                    assertThat(e.operation()).isEqualTo("open(/run/netns/trods-it-does-not-exist)");
                });
    }

    @Test
    void availabilityAndCauseAgree() {
        assertThat(TcpRepair.isAvailable()).isEqualTo(TcpRepair.unavailabilityCause() == null);
        if (!TcpRepair.isAvailable() && TcpRepair.unavailabilityCause() instanceof KernelCallException kce) {
            assertThat(kce.errno()).isEqualTo(LibC.EPERM); // no CAP_NET_ADMIN
        }
    }
}
