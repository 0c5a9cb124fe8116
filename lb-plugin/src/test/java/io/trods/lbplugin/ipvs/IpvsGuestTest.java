package io.trods.lbplugin.ipvs;

import static io.trods.lbplugin.ipvs.IpvsTableReaderTest.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trods.lbplugin.driver.SettingCheck;
import io.trods.lbplugin.ipvs.channel.GuestChannelRunner;
import io.trods.lbplugin.table.BalancerTable;
import io.trods.lbplugin.table.Endpoint;
import io.trods.lbplugin.table.TableDiff;
import io.trods.lbplugin.table.TableOp;
import io.trods.lbplugin.table.TableService;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfEnvironmentVariable;

/**
 * The driver against a real IPVS kernel: the lab's qemu guest (lab/ipvs/run-guest.sh), reached
 * through its control socket. Runs only when TRODS_IPVS_GUEST_SOCKET names that socket
 * ({@code /run/trods-ipvs/NAME/admin.sock}); it clears the guest's IPVS table.
 */
@EnabledIfEnvironmentVariable(named = "TRODS_IPVS_GUEST_SOCKET", matches = "/.+")
class IpvsGuestTest {

    private GuestChannelRunner runner;
    private IpvsDriver driver;

    @BeforeEach
    void connect() throws Exception {
        runner = new GuestChannelRunner(Path.of(System.getenv("TRODS_IPVS_GUEST_SOCKET")));
        driver = new IpvsDriver(runner, true, Duration.ofSeconds(10));
        assertThat(runner.run(List.of("ipvsadm", "-C"), new byte[0], Duration.ofSeconds(10)).ok()).isTrue();
    }

    @AfterEach
    void clear() throws Exception {
        runner.run(List.of("ipvsadm", "-C"), new byte[0], Duration.ofSeconds(10));
        runner.close();
    }

    private void converge(TableService... services) throws Exception {
        BalancerTable desired = BalancerTable.of(List.of(services));
        driver.apply(TableDiff.between(driver.read(), driver.kernelView(desired)), desired);
        assertThat(driver.read()).isEqualTo(driver.kernelView(desired));
    }

    @Test
    void settingsAreSetInTheGuestKernel() {
        List<SettingCheck> checks = driver.checkSettings();
        assertThat(checks).allSatisfy(c -> assertThat(c.ok()).as(c.warning()).isTrue());
    }

    @Test
    void tableRoundTripsThroughTheRealKernel() throws Exception {
        converge(service("10.99.1.1:80", "mh", "nat", "10.99.2.11:8080", 1, "10.99.2.12:8080", 1),
                service("10.99.1.2:80", "wlc", "dr", "10.99.2.13:80", 2), service("10.99.1.3:80", "rr", "dr"));
        converge(service("10.99.1.1:80", "mh", "nat", "10.99.2.11:8080", 0, "10.99.2.12:8080", 5),
                service("10.99.1.2:80", "rr", "nat", "10.99.2.13:80", 2));
        converge(service("10.99.1.1:80", "sh", "nat", "10.99.2.12:8080", 5));
        converge();
    }

    @Test
    void realIpvsadmErrorsAreTyped() throws Exception {
        converge(service("10.99.1.1:80", "rr", "nat", "10.99.2.11:8080", 1));

        assertThatThrownBy(() -> driver.apply(List.of(new TableOp.AddService(
                Endpoint.parse("10.99.1.1:80"), "rr", "nat")), BalancerTable.empty()))
                .isInstanceOfSatisfying(IpvsException.class, e -> {
                    assertThat(e.status()).isEqualTo(255);
                    assertThat(e.error()).isEqualTo(IpvsError.SERVICE_EXISTS);
                });
        assertThatThrownBy(() -> driver.apply(List.of(new TableOp.DeleteBackend(
                Endpoint.parse("10.99.1.1:80"), Endpoint.parse(
                        "10.99.2.99:80"))), BalancerTable.empty()))
                .isInstanceOfSatisfying(IpvsException.class,
                        e -> assertThat(e.error()).isEqualTo(IpvsError.NO_SUCH_DESTINATION));
        assertThatThrownBy(() -> driver.apply(List.of(new TableOp.AddService(
                Endpoint.parse("10.99.1.5:80"), "nosuch", "nat")), BalancerTable.empty()))
                .isInstanceOfSatisfying(IpvsException.class,
                        e -> assertThat(e.error()).isEqualTo(IpvsError.SCHEDULER_NOT_FOUND));
    }
}
