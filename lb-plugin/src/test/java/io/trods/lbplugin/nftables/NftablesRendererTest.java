package io.trods.lbplugin.nftables;

import static io.trods.lbplugin.nftables.Tables.service;
import static io.trods.lbplugin.nftables.Tables.table;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trods.lbplugin.table.BalancerTable;
import io.trods.lbplugin.table.Endpoint;
import io.trods.lbplugin.table.TableService;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class NftablesRendererTest {

    private final NftablesRenderer withPrompts = new NftablesRenderer("eth1");
    private final NftablesRenderer withoutPrompts = new NftablesRenderer("");

    @Test
    void roundRobinWithPromptRules() {
        String text = withPrompts.render(table(service("198.19.0.1:80", "rr", "198.19.0.11:80", 1, "198.19.0.12:80", 1)));

        assertThat(text).isEqualTo("""
                add table ip trods_balancer
                delete table ip trods_balancer
                table ip trods_balancer {
                	chain prompts {
                		type filter hook prerouting priority raw; policy accept;
                		iifname "eth1" ip saddr 198.19.0.1 tcp sport 80 notrack
                	}
                	chain prerouting {
                		type nat hook prerouting priority dstnat; policy accept;
                		ip daddr 198.19.0.1 tcp dport 80 dnat to numgen inc mod 2 map { 0 : 198.19.0.11, 1 : 198.19.0.12 } comment "rr nat"
                	}
                }
                """);
    }

    @Test
    void everySchedulerWeightPortAndEmptyCase() {
        String text = withoutPrompts.render(table(
                service("198.19.0.2:80", "mh", "198.19.0.11:80", 1, "198.19.0.12:80", 1),
                service("198.19.0.3:80", "wlc", "198.19.0.11:80", 30, "198.19.0.12:80", 20, "198.19.0.13:80", 0),
                service("198.19.0.4:80", "wlc", "198.19.0.11:8080", 3, "198.19.0.12:80", 2),
                service("198.19.0.5:80", "rr", "198.19.0.11:80", 0),
                service("198.19.0.6:443", "sh", "198.19.0.11:443", 2, "198.19.0.12:443", 1)));

        assertThat(text).isEqualTo("""
                add table ip trods_balancer
                delete table ip trods_balancer
                table ip trods_balancer {
                	chain prerouting {
                		type nat hook prerouting priority dstnat; policy accept;
                		ip daddr 198.19.0.2 tcp dport 80 dnat to jhash ip saddr . tcp sport mod 2 seed 0x54524f44 map { 0 : 198.19.0.11, 1 : 198.19.0.12 } comment "mh nat"
                		ip daddr 198.19.0.3 tcp dport 80 dnat to numgen random mod 5 map { 0-2 : 198.19.0.11, 3-4 : 198.19.0.12 } comment "wlc nat"
                		ip daddr 198.19.0.4 tcp dport 80 dnat ip addr . port to numgen random mod 5 map { 0-2 : 198.19.0.11 . 8080, 3-4 : 198.19.0.12 . 80 } comment "wlc nat"
                		ip daddr 198.19.0.5 tcp dport 80 reject with tcp reset comment "rr nat"
                		ip daddr 198.19.0.6 tcp dport 443 dnat to jhash ip saddr . tcp sport mod 3 seed 0x54524f44 map { 0-1 : 198.19.0.11, 2 : 198.19.0.12 } comment "sh nat"
                	}
                }
                """);
    }

    @Test
    void emptyTableStillReplacesTheOldOne() {
        assertThat(withPrompts.render(BalancerTable.empty())).isEqualTo("""
                add table ip trods_balancer
                delete table ip trods_balancer
                table ip trods_balancer {
                	chain prompts {
                		type filter hook prerouting priority raw; policy accept;
                	}
                	chain prerouting {
                		type nat hook prerouting priority dstnat; policy accept;
                	}
                }
                """);
    }

    @Test
    void directRoutingIsRefusedWithAReason() {
        Endpoint vip = Endpoint.parse("198.19.0.1:80");
        TableService dr = new TableService(vip, "rr", "dr", new TreeMap<>(Map.of(Endpoint.parse("198.19.0.11:80"), 1)));

        assertThatThrownBy(() -> withPrompts.render(table(dr)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("198.19.0.1:80").hasMessageContaining("'dr'").hasMessageContaining("ipvs");
    }

    @Test
    void interfaceNamesCannotInjectRules() {
        assertThatThrownBy(() -> new NftablesRenderer("eth1\" accept")).isInstanceOf(IllegalArgumentException.class);
    }
}
