package io.trods.agent.control;

import static org.assertj.core.api.Assertions.assertThat;

import io.trods.control.Backend;
import io.trods.control.DesiredState;
import io.trods.control.DirectorStatus;
import io.trods.control.FailedServer;
import io.trods.control.VirtualService;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FailureWatchTest {

    static DesiredState state(long version, String vip, List<FailedServer> failed) {
        VirtualService web = new VirtualService("web", vip, 80, "tcp", "rr", "nat",
                List.of(new Backend("server4", "198.19.0.14", 80, 1)), failed);
        return new DesiredState(version, 0, "m", List.of(web));
    }

    static FailedServer failed(String id, long since) {
        return new FailedServer(id, "198.19.0." + (10 + id.charAt(id.length() - 1) - '0'), "probe", since);
    }

    private final FailureWatch watch = new FailureWatch("server1", Set.of("198.18.0.10:80"));

    @Test
    void aFailureIsHandedOutOnceAcrossLaterVersions() {
        assertThat(watch.newFailures(state(1, "198.18.0.10", List.of(failed("server2", 5))))).extracting(FailedServer::serverId)
                .containsExactly("server2");
        assertThat(watch.newFailures(state(2, "198.18.0.10", List.of(failed("server2", 5))))).isEmpty();
        assertThat(watch.newFailures(state(3, "198.18.0.10", List.of(failed("server2", 5), failed("server3", 9)))))
                .extracting(FailedServer::serverId).containsExactly("server3");
    }

    @Test
    void aServerThatCameBackAndFailsAgainIsNewAgain() {
        watch.newFailures(state(1, "198.18.0.10", List.of(failed("server2", 5))));
        assertThat(watch.newFailures(state(2, "198.18.0.10", List.of()))).isEmpty();
        assertThat(watch.newFailures(state(3, "198.18.0.10", List.of(failed("server2", 50))))).hasSize(1);
    }

    @Test
    void ownFailuresOtherServicesAndOldVersionsAreIgnored() {
        assertThat(watch.newFailures(state(4, "198.18.0.10", List.of(failed("server1", 5))))).isEmpty();
        assertThat(watch.newFailures(state(5, "198.18.0.99", List.of(failed("server2", 5))))).isEmpty();
        assertThat(watch.newFailures(state(3, "198.18.0.10", List.of(failed("server2", 5))))).isEmpty();
    }

    @Test
    void appliedOnlyWhenEveryReportingDirectorHasTheVersion() {
        assertThat(FailureWatch.appliedByAllDirectors(4, List.of())).isFalse();
        assertThat(FailureWatch.appliedByAllDirectors(4, List.of(
                new DirectorStatus("lb1", "nftables", 4, 0, ""), new DirectorStatus("lb2", "nftables", 3, 0, "")))).isFalse();
        assertThat(FailureWatch.appliedByAllDirectors(4, List.of(
                new DirectorStatus("lb1", "nftables", 5, 0, ""), new DirectorStatus("lb2", "nftables", 4, 0, "")))).isTrue();
    }
}
