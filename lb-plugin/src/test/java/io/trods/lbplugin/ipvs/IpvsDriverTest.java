package io.trods.lbplugin.ipvs;

import static io.trods.lbplugin.ipvs.IpvsTableReaderTest.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trods.lbplugin.driver.CommandRunner;
import io.trods.lbplugin.driver.SettingCheck;
import io.trods.lbplugin.table.BalancerTable;
import io.trods.lbplugin.table.Endpoint;
import io.trods.lbplugin.table.TableDiff;
import io.trods.lbplugin.table.TableOp;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class IpvsDriverTest {

    private static final Endpoint VIP = Endpoint.parse("10.99.1.1:80");
    private static final Endpoint S1 = Endpoint.parse("10.99.2.11:8080");
    private static final Endpoint S2 = Endpoint.parse("10.99.2.12:8080");

    private final FakeIpvsadm kernel = new FakeIpvsadm();
    private final IpvsDriver driver = new IpvsDriver(kernel, false, Duration.ofSeconds(2));

    private static BalancerTable table(Object... s) {
        return BalancerTable.of(Stream.of(s).map(o -> (io.trods.lbplugin.table.TableService) o).toList());
    }

    /** Applies the diff from what the driver reads, then reads back: the kernel must hold kernelView(desired). */
    private List<String> converge(BalancerTable desired) throws Exception {
        int before = kernel.commands.size();
        List<TableOp> ops = TableDiff.between(driver.read(), driver.kernelView(desired));
        driver.apply(ops, desired);
        assertThat(driver.read()).isEqualTo(driver.kernelView(desired));
        assertThat(TableDiff.between(driver.read(), driver.kernelView(desired))).isEmpty();
        return kernel.commands.subList(before, kernel.commands.size()).stream()
                .filter(c -> !c.equals("ipvsadm -L -n")).toList();
    }

    @Test
    void addEditDrainDeleteRoundTripThroughIpvsadm() throws Exception {
        assertThat(converge(table(service("10.99.1.1:80", "mh", "nat", "10.99.2.11:8080", 1, "10.99.2.12:8080", 1))))
                .containsExactly(
                        "ipvsadm -A -t 10.99.1.1:80 -s mh -b mh-port",
                        "ipvsadm -a -t 10.99.1.1:80 -r 10.99.2.11:8080 -m -w 1",
                        "ipvsadm -a -t 10.99.1.1:80 -r 10.99.2.12:8080 -m -w 1");

        // weight change and drain: edited in place, the drained server stays with weight 0
        assertThat(converge(table(service("10.99.1.1:80", "mh", "nat", "10.99.2.11:8080", 0, "10.99.2.12:8080", 5))))
                .containsExactly(
                        "ipvsadm -e -t 10.99.1.1:80 -r 10.99.2.11:8080 -m -w 0",
                        "ipvsadm -e -t 10.99.1.1:80 -r 10.99.2.12:8080 -m -w 5");
        assertThat(kernel.services.get("10.99.1.1:80").dests().get("10.99.2.11:8080").weight()).isZero();

        // removal (failure): deleted; scheduler change: edited
        assertThat(converge(table(service("10.99.1.1:80", "rr", "nat", "10.99.2.12:8080", 5))))
                .containsExactly(
                        "ipvsadm -d -t 10.99.1.1:80 -r 10.99.2.11:8080",
                        "ipvsadm -E -t 10.99.1.1:80 -s rr");

        // deleting a service deletes its servers with it
        assertThat(converge(BalancerTable.empty())).containsExactly("ipvsadm -D -t 10.99.1.1:80");
        assertThat(kernel.services).isEmpty();
    }

    @Test
    void forwardingOfAServiceWithoutServersIsNotADifference() throws Exception {
        // IPVS stores forwarding per server: an empty dr service reads back as nat, and kernelView agrees.
        BalancerTable desired = table(service("10.99.1.1:80", "wlc", "dr"));
        assertThat(converge(desired)).containsExactly("ipvsadm -A -t 10.99.1.1:80 -s wlc");

        assertThat(converge(table(service("10.99.1.1:80", "wlc", "dr", "10.99.2.11:8080", 1))))
                .contains("ipvsadm -a -t 10.99.1.1:80 -r 10.99.2.11:8080 -g -w 1");
    }

    @Test
    void kernelViewIsTheIdentityForServicesWithServersDrainedOnesIncluded() {
        BalancerTable desired = table(service("10.99.1.1:80", "mh", "dr", "10.99.2.11:8080", 0, "10.99.2.12:8080", 2));
        assertThat(driver.kernelView(desired)).isEqualTo(desired);
    }

    @Test
    void driftIsRepairedFromWhatIsRead() throws Exception {
        kernel.run(List.of("ipvsadm", "-A", "-t", "10.99.1.1:80", "-s", "mh"), new byte[0], null); // no port hashing
        kernel.run(List.of("ipvsadm", "-A", "-t", "10.99.1.9:80", "-s", "rr"), new byte[0], null); // not ours to keep

        assertThat(converge(table(service("10.99.1.1:80", "mh", "nat")))).containsExactly(
                "ipvsadm -D -t 10.99.1.9:80", "ipvsadm -E -t 10.99.1.1:80 -s mh -b mh-port");
    }

    static Stream<Arguments> failures() {
        TableOp addService = new TableOp.AddService(VIP, "rr", "nat");
        return Stream.of(
                Arguments.of("service exists", List.of(addService), addService, IpvsError.SERVICE_EXISTS, 17),
                Arguments.of("edit of a missing service", List.of(new TableOp.EditService(Endpoint.parse("10.99.1.9:80"),
                        "rr", "nat")), null, IpvsError.NO_SUCH_SERVICE, 3),
                Arguments.of("delete of a missing service", List.of(new TableOp.DeleteService(Endpoint.parse("10.99.1.9:80"))),
                        null, IpvsError.NO_SUCH_SERVICE, 3),
                Arguments.of("server to a missing service", List.of(new TableOp.AddBackend(Endpoint.parse("10.99.1.9:80"),
                        S1, 1, "nat")), null, IpvsError.SERVICE_NOT_DEFINED, 3),
                Arguments.of("server exists", List.of(new TableOp.AddBackend(VIP, S1, 1, "nat")), null,
                        IpvsError.DESTINATION_EXISTS, 17),
                Arguments.of("edit of a missing server", List.of(new TableOp.EditBackend(VIP, S2, 1, "nat")), null,
                        IpvsError.NO_SUCH_DESTINATION, 2),
                Arguments.of("delete of a missing server", List.of(new TableOp.DeleteBackend(VIP, S2)), null,
                        IpvsError.NO_SUCH_DESTINATION, 2));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failures")
    void ipvsadmFailuresAreTypedWithTheOperationStatusAndErrno(String name, List<TableOp> failing, TableOp ignored,
            IpvsError error, int errno) throws Exception {
        driver.apply(List.of(new TableOp.AddService(VIP, "rr", "nat"), new TableOp.AddBackend(VIP, S1, 1, "nat")),
                BalancerTable.empty());
        TableOp harmless = new TableOp.EditBackend(VIP, S1, 4, "nat");
        TableOp never = new TableOp.EditBackend(VIP, S1, 9, "nat");
        List<TableOp> ops = Stream.of(List.of(harmless), failing, List.of(never)).flatMap(List::stream).toList();

        assertThatThrownBy(() -> driver.apply(ops, BalancerTable.empty()))
                .isInstanceOfSatisfying(IpvsException.class, e -> {
                    assertThat(e.operation()).isEqualTo("apply");
                    assertThat(e.status()).isEqualTo(255);
                    assertThat(e.error()).isEqualTo(error);
                    assertThat(e.errno()).isEqualTo(errno);
                    assertThat(e.op()).isEqualTo(failing.get(0));
                    assertThat(e.appliedBefore()).isEqualTo(1);
                    assertThat(e.getMessage()).contains(String.join(" ", IpvsCommands.render(failing.get(0))));
                });
        // in order, and nothing after the failure
        assertThat(kernel.services.get("10.99.1.1:80").dests().get("10.99.2.11:8080").weight()).isEqualTo(4);
        assertThat(kernel.commands).noneMatch(c -> c.endsWith("-w 9"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("messages")
    void messagesOfOtherIpvsadmVersionsAndMissingIpvsAreRecognised(String stderr, IpvsError expected) {
        assertThat(IpvsError.of(stderr)).isEqualTo(expected);
    }

    static Stream<Arguments> messages() {
        return Stream.of(
                Arguments.of("Could not find destination\n", IpvsError.NO_SUCH_DESTINATION),
                Arguments.of("Can't initialize ipvs: Protocol not available\n"
                        + "Are you sure that IP Virtual Server is built in the kernel or as module?\n",
                        IpvsError.IPVS_UNAVAILABLE),
                Arguments.of("Scheduler or persistence engine not found\n", IpvsError.SCHEDULER_NOT_FOUND),
                Arguments.of("Permission denied (you must be root)\n", IpvsError.PERMISSION_DENIED),
                Arguments.of("something new\n", IpvsError.OTHER));
    }

    @Test
    void readFailuresAndToolsThatCannotRunAreDriverExceptions() {
        CommandRunner noIpvs = (argv, stdin, timeout) -> new CommandRunner.CommandResult(1, "",
                "Can't initialize ipvs: Protocol not available\n");
        assertThatThrownBy(() -> new IpvsDriver(noIpvs, false, Duration.ofSeconds(1)).read())
                .isInstanceOfSatisfying(IpvsException.class, e -> {
                    assertThat(e.operation()).isEqualTo("read");
                    assertThat(e.status()).isEqualTo(1);
                    assertThat(e.error()).isEqualTo(IpvsError.IPVS_UNAVAILABLE);
                    assertThat(e.stderr()).contains("Protocol not available");
                });

        CommandRunner broken = (argv, stdin, timeout) -> {
            throw new IOException("guest control channel /x.sock: timed out waiting for ipvsadm");
        };
        assertThatThrownBy(() -> new IpvsDriver(broken, false, Duration.ofSeconds(1))
                .apply(List.of(new TableOp.DeleteService(VIP)), BalancerTable.empty()))
                .isInstanceOfSatisfying(IpvsException.class, e -> {
                    assertThat(e.status()).isEqualTo(-1);
                    assertThat(e.getMessage()).contains("timed out");
                });

        CommandRunner garbage = (argv, stdin, timeout) -> new CommandRunner.CommandResult(0, "what is this\n", "");
        assertThatThrownBy(() -> new IpvsDriver(garbage, false, Duration.ofSeconds(1)).read())
                .isInstanceOf(IpvsException.class).hasMessageContaining("not understood");
    }

    @Test
    void forgetConnectionsRunsNothing() throws Exception {
        driver.forgetConnections(VIP, "10.99.2.11");
        assertThat(kernel.commands).isEmpty();
    }

    @Test
    void settingsAreReadThroughTheRunnerAndOnlyWrittenWhenManaged() {
        kernel.sysctls.putAll(java.util.Map.of("net.ipv4.ip_forward", "1", "net.ipv4.vs.sloppy_tcp", "0",
                "net.ipv4.vs.expire_nodest_conn", "0", "net.ipv4.vs.conntrack", "1"));

        List<SettingCheck> checks = driver.checkSettings();
        assertThat(checks).extracting(SettingCheck::name).containsExactly("net.ipv4.ip_forward",
                "net.ipv4.vs.sloppy_tcp", "net.ipv4.vs.expire_nodest_conn", "net.ipv4.vs.conntrack");
        assertThat(checks).extracting(SettingCheck::ok).containsExactly(true, false, false, false);
        assertThat(checks.get(1).warning()).contains("net.ipv4.vs.sloppy_tcp is 0, expected 1");
        assertThat(kernel.commands).noneMatch(c -> c.startsWith("sysctl -w"));

        List<SettingCheck> managed = new IpvsDriver(kernel, true, Duration.ofSeconds(1)).checkSettings();
        assertThat(managed).allMatch(SettingCheck::ok);
        assertThat(kernel.commands).contains("sysctl -w net.ipv4.vs.sloppy_tcp=1",
                "sysctl -w net.ipv4.vs.expire_nodest_conn=1", "sysctl -w net.ipv4.vs.conntrack=0");
        assertThat(kernel.sysctls).containsEntry("net.ipv4.vs.conntrack", "0");
    }

    @Test
    void absentSettingsMeanIpvsIsNotLoaded() {
        kernel.sysctls.put("net.ipv4.ip_forward", "1");

        List<SettingCheck> checks = driver.checkSettings();
        assertThat(checks.get(1).actual()).isEqualTo("absent");
        assertThat(checks.get(1).warning()).contains("ip_vs is not loaded");

        new IpvsDriver(kernel, true, Duration.ofSeconds(1)).checkSettings();
        assertThat(kernel.commands).contains("modprobe ip_vs");
    }
}
