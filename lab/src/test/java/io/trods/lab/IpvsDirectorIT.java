package io.trods.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The real IPVS kernel behaviour TRODS relies on, on Debian's own kernel in the qemu guest of
 * lab/ipvs (this machine's kernel has no IPVS): with sloppy_tcp and expire_nodest_conn, after
 * {@code ipvsadm -d} of a connection's server, the client's next packet (not a SYN) is delivered
 * to a surviving server, as a capture in that server's namespace shows. The script builds the
 * guest if needed and cleans up everything it created, whatever happens.
 */
@Tag("lab")
class IpvsDirectorIT {

    @Test
    void aRemovedServersConnectionHasItsNextPacketDeliveredToASurvivor() {
        Lab.Result self = Lab.run(List.of(Lab.HOME.resolve("lab/ipvs/selftest.sh").toString()), 900).orFail();

        assertThat(self.stdout()).containsPattern("connection \\S+ -> 10\\.99\\.1\\.1:80 balanced to server\\d")
                .contains("removed server")
                .containsPattern("PASS: the client's first data packet after ipvsadm -d .* reached the survivor server\\d");
        assertThat(Lab.run(List.of("ip", "netns", "list"), 10).orFail().stdout()).doesNotContain("ipvstest-");
    }
}
