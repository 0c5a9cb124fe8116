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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * The driver against a real IPVS kernel: Debian's own kernel in the qemu guest of lab/ipvs (this
 * machine's kernel has no IPVS), booted here in a namespace of its own and reached through its
 * control socket. Root, with the lab's tests ({@code -Plab}); TRODS_IPVS_GUEST_SOCKET names an
 * already running guest's socket instead ({@code /run/trods-ipvs/NAME/admin.sock}).
 */
@Tag("lab")
class IpvsGuestIT {

    private static final Path HOME = Path.of(System.getProperty("trods.home", "..")).toAbsolutePath().normalize();
    private static final String NAME = "ipvstest-driver";
    private static Path socket;
    private static boolean booted;

    private GuestChannelRunner runner;
    private IpvsDriver driver;

    @BeforeAll
    static void bootGuest() throws Exception {
        String given = System.getenv("TRODS_IPVS_GUEST_SOCKET");
        if (given != null && !given.isBlank()) {
            socket = Path.of(given);
            return;
        }
        run(600, HOME.resolve("lab/ipvs/build-guest.sh").toString());
        run(10, "ip", "netns", "add", NAME);
        booted = true;
        run(180, HOME.resolve("lab/ipvs/run-guest.sh").toString(), NAME, "--netns", NAME,
                "--front", "ipvsdrv-f", "--back", "ipvsdrv-b");
        socket = Path.of("/run/trods-ipvs", NAME, "admin.sock");
    }

    @AfterAll
    static void stopGuest() throws Exception {
        if (!booted) {
            return;
        }
        Path pid = Path.of("/run/trods-ipvs", NAME, "qemu.pid");
        if (Files.exists(pid)) {
            long qemu = Long.parseLong(Files.readString(pid).trim());
            ProcessHandle.of(qemu).ifPresent(p -> {
                p.destroyForcibly();
                p.onExit().join();
            });
        }
        new ProcessBuilder("ip", "netns", "del", NAME).inheritIO().start().waitFor();
        new ProcessBuilder("rm", "-rf", "/run/trods-ipvs/" + NAME).inheritIO().start().waitFor();
    }

    private static void run(int seconds, String... command) throws Exception {
        Process p = new ProcessBuilder(command).inheritIO().start();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within " + seconds + " s");
        }
        assertThat(p.exitValue()).as(String.join(" ", command)).isZero();
    }

    @BeforeEach
    void connect() throws Exception {
        runner = new GuestChannelRunner(socket);
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
