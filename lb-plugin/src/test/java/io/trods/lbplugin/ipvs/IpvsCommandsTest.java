package io.trods.lbplugin.ipvs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trods.lbplugin.table.Endpoint;
import io.trods.lbplugin.table.TableOp;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class IpvsCommandsTest {

    private static final Endpoint VIP = Endpoint.parse("10.99.1.1:80");
    private static final Endpoint RS = Endpoint.parse("10.99.2.11:8080");

    static Stream<Arguments> operations() {
        return Stream.of(
                Arguments.of("add, Maglev with port hashing", new TableOp.AddService(VIP, "mh", "nat"),
                        "ipvsadm -A -t 10.99.1.1:80 -s mh -b mh-port"),
                Arguments.of("add, source hashing with port hashing", new TableOp.AddService(VIP, "sh", "nat"),
                        "ipvsadm -A -t 10.99.1.1:80 -s sh -b sh-port"),
                Arguments.of("add, round robin: no flags", new TableOp.AddService(VIP, "rr", "dr"),
                        "ipvsadm -A -t 10.99.1.1:80 -s rr"),
                Arguments.of("edit service", new TableOp.EditService(VIP, "wlc", "nat"),
                        "ipvsadm -E -t 10.99.1.1:80 -s wlc"),
                Arguments.of("delete service", new TableOp.DeleteService(VIP), "ipvsadm -D -t 10.99.1.1:80"),
                Arguments.of("add server, NAT", new TableOp.AddBackend(VIP, RS, 3, "nat"),
                        "ipvsadm -a -t 10.99.1.1:80 -r 10.99.2.11:8080 -m -w 3"),
                Arguments.of("add server, direct routing", new TableOp.AddBackend(VIP, RS, 1, "dr"),
                        "ipvsadm -a -t 10.99.1.1:80 -r 10.99.2.11:8080 -g -w 1"),
                Arguments.of("edit weight", new TableOp.EditBackend(VIP, RS, 7, "nat"),
                        "ipvsadm -e -t 10.99.1.1:80 -r 10.99.2.11:8080 -m -w 7"),
                Arguments.of("drain: weight 0 stays in IPVS", new TableOp.EditBackend(VIP, RS, 0, "nat"),
                        "ipvsadm -e -t 10.99.1.1:80 -r 10.99.2.11:8080 -m -w 0"),
                Arguments.of("delete server", new TableOp.DeleteBackend(VIP, RS),
                        "ipvsadm -d -t 10.99.1.1:80 -r 10.99.2.11:8080"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("operations")
    void rendersEachOperation(String name, TableOp op, String expected) {
        assertThat(String.join(" ", IpvsCommands.render(op))).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void refusesWhatIpvsadmCannotExpress(String name, TableOp op, String message) {
        assertThatThrownBy(() -> IpvsCommands.render(op)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("tunnel forwarding", new TableOp.AddBackend(VIP, RS, 1, "tun"), "forwarding must be nat or dr"),
                Arguments.of("scheduler that would inject options", new TableOp.AddService(VIP, "rr -p 30", "nat"),
                        "not an IPVS scheduler"));
    }
}
