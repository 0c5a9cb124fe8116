package io.trods.lbplugin.ipvs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trods.lbplugin.table.BalancerTable;
import io.trods.lbplugin.table.Endpoint;
import io.trods.lbplugin.table.TableService;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class IpvsTableReaderTest {

    /** ipvsadm 1.31 -Ln on Debian 12's kernel 6.1.0-56, captured in the lab guest (trailing blanks included). */
    static final String LISTING = """
            IP Virtual Server version 1.2.1 (size=4096)
            Prot LocalAddress:Port Scheduler Flags
              -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
            TCP  10.99.1.1:80 mh (mh-port)
              -> 10.99.2.11:8080              Masq    3      0          0        \s
              -> 10.99.2.12:8080              Masq    0      0          0        \s
            TCP  10.99.1.2:443 rr
            TCP  10.99.1.3:80 wlc
              -> 10.99.2.13:80                Route   1      0          0        \s
            TCP  10.99.1.4:80 sh (sh-fallback,sh-port) persistent 30
            UDP  10.99.1.1:53 rr
            """;

    static final String EMPTY = """
            IP Virtual Server version 1.2.1 (size=4096)
            Prot LocalAddress:Port Scheduler Flags
              -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
            """;

    private final IpvsTableReader reader = new IpvsTableReader();

    static TableService service(String vip, String scheduler, String forwarding, Object... backendsAndWeights) {
        TreeMap<Endpoint, Integer> backends = new TreeMap<>();
        for (int i = 0; i < backendsAndWeights.length; i += 2) {
            backends.put(Endpoint.parse((String) backendsAndWeights[i]), (Integer) backendsAndWeights[i + 1]);
        }
        return new TableService(Endpoint.parse(vip), scheduler, forwarding, backends);
    }

    @Test
    void parsesARealListing() {
        BalancerTable table = reader.read(LISTING);

        assertThat(table).isEqualTo(BalancerTable.of(List.of(
                // weight 0 (drained) is read back as it is
                service("10.99.1.1:80", "mh", "nat", "10.99.2.11:8080", 3, "10.99.2.12:8080", 0),
                // no servers: IPVS keeps no forwarding; nat by convention
                service("10.99.1.2:443", "rr", "nat"),
                service("10.99.1.3:80", "wlc", "dr", "10.99.2.13:80", 1),
                // flags the driver does not render make the scheduler differ, so a diff edits them away
                service("10.99.1.4:80", "sh (sh-fallback,sh-port) persistent 30", "nat"))));
    }

    @Test
    void emptyTableAndNoOutputAreEmpty() {
        assertThat(reader.read(EMPTY)).isEqualTo(BalancerTable.empty());
        assertThat(reader.read("")).isEqualTo(BalancerTable.empty());
    }

    @Test
    void hashingSchedulerWithoutPortHashingDiffersFromTheRenderedOne() {
        BalancerTable table = reader.read(EMPTY + "TCP  10.99.1.1:80 mh\n");

        assertThat(table.service(Endpoint.parse("10.99.1.1:80")).scheduler()).isEqualTo("mh (no mh-port)");
        assertThat(reader.read(EMPTY + "TCP  10.99.1.1:80 rr\n").service(Endpoint.parse("10.99.1.1:80")).scheduler())
                .isEqualTo("rr");
        assertThat(reader.read(EMPTY + "TCP  10.99.1.1:80 mh (mh-fallback,mh-port)\n")
                .service(Endpoint.parse("10.99.1.1:80")).scheduler()).isEqualTo("mh (mh-fallback,mh-port)");
    }

    @Test
    void mixedForwardingIsReportedAsSuch() {
        BalancerTable table = reader.read(EMPTY + """
                TCP  10.99.1.1:80 rr
                  -> 10.99.2.11:80                Masq    1      0          0
                  -> 10.99.2.12:80                Route   1      0          0
                """);

        assertThat(table.service(Endpoint.parse("10.99.1.1:80")).forwarding()).isEqualTo("mixed");
        assertThat(table.service(Endpoint.parse("10.99.1.1:80")).backends())
                .isEqualTo(Map.of(Endpoint.parse("10.99.2.11:80"), 1, Endpoint.parse("10.99.2.12:80"), 1));
    }

    @Test
    void serversOfSkippedServicesAreSkippedToo() {
        BalancerTable table = reader.read(EMPTY + """
                UDP  10.99.1.1:53 rr
                  -> 10.99.2.11:53                Masq    1      0          0
                FWM  7 wlc
                  -> 10.99.2.11:0                 Route   1      0          0
                TCP  [2001:db8::1]:80 rr
                  -> [2001:db8::11]:80            Masq    1      0          0
                """);

        assertThat(table).isEqualTo(BalancerTable.empty());
    }

    @Test
    void unexpectedLinesAreErrorsWithTheirLineNumber() {
        assertThatThrownBy(() -> reader.read(EMPTY + "garbage here\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("line 4");
        assertThatThrownBy(() -> reader.read(EMPTY + "  -> 10.99.2.11:80                Masq    1      0          0\n"))
                .hasMessageContaining("real server before any service");
    }
}
