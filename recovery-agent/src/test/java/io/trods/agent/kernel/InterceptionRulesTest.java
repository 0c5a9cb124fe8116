package io.trods.agent.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class InterceptionRulesTest {

    private final List<String> rules = new InterceptionRules(80, 0, 1, List.of()).render().lines().toList();

    /**
     * A let-go packet comes back through the chain (NF_REPEAT) with the mark and must leave it even
     * when conntrack has no connection to keep the mark in (INVALID): else it loops through Java.
     */
    @Test
    void aMarkedPacketIsAcceptedBeforeAnyQueueRuleInBothChains() {
        for (String chain : List.of("TRODS_IN", "TRODS_OUT")) {
            List<String> own = rules.stream().filter(r -> r.startsWith("-A " + chain + " ")).toList();
            int accept = indexOf(own, "-m mark --mark 0x54520001 -j ACCEPT");
            int firstQueue = indexOf(own, "-j NFQUEUE");
            assertThat(accept).as(chain + ": " + own).isGreaterThanOrEqualTo(0).isLessThan(firstQueue);
            assertThat(indexOf(own, "-j CONNMARK --set-mark 0x54520001")).as("saved to the connection first").isNotNegative()
                    .isLessThan(accept);
        }
    }

    /** What the fast path's nftables rules handled in the kernel must not cross to Java after all. */
    @Test
    void packetsTheFastPathHandledAreAcceptedBeforeAnyQueueRuleInBothChains() {
        for (String chain : List.of("TRODS_IN", "TRODS_OUT")) {
            List<String> own = rules.stream().filter(r -> r.startsWith("-A " + chain + " ")).toList();
            assertThat(indexOf(own, "-m mark --mark 0x54520004 -j ACCEPT")).as(chain + ": " + own).isNotNegative()
                    .isLessThan(indexOf(own, "-j NFQUEUE"));
        }
    }

    /** A release, prompt or answer the agent sends itself must not come back to it through the queue. */
    @Test
    void theAgentsOwnSegmentsLeaveBeforeAnyQueueRule() {
        List<String> out = rules.stream().filter(r -> r.startsWith("-A TRODS_OUT ")).toList();
        assertThat(indexOf(out, "-m mark --mark 0x54520005 -j ACCEPT")).as(out.toString()).isNotNegative()
                .isLessThan(indexOf(out, "-j NFQUEUE"))
                .isLessThan(indexOf(out, "-j CONNMARK"));
        assertThat(rules.stream().filter(r -> r.startsWith("-A TRODS_IN ")))
                .noneMatch(r -> r.contains("0x54520005")); // nothing inbound carries it
    }

    @Test
    void healthCheckersSkipTheQueuesInBothDirectionsBeforeAnyQueueRule() {
        List<String> with = new InterceptionRules(80, 0, 1, List.of("198.19.0.3", "10.1.0.0/16")).render().lines().toList();
        for (String rule : List.of("-A TRODS_IN -s 198.19.0.3 -j RETURN", "-A TRODS_OUT -d 198.19.0.3 -j RETURN",
                "-A TRODS_IN -s 10.1.0.0/16 -j RETURN", "-A TRODS_OUT -d 10.1.0.0/16 -j RETURN")) {
            assertThat(with.indexOf(rule)).as(rule + " in " + with).isNotNegative()
                    .isLessThan(indexOf(with, "-j NFQUEUE"));
        }
        assertThat(rules).noneMatch(r -> r.contains(" -s ") || r.contains(" -d "));
    }

    @Test
    void everyQueueRuleBypassesWhenNoAgentListens() {
        assertThat(rules.stream().filter(r -> r.contains("NFQUEUE"))).hasSize(4)
                .allMatch(r -> r.endsWith("--queue-bypass"));
    }

    /**
     * With a log group, handshakes never wait for the agent: the SYN and the SYN-ACK are logged and
     * accepted before any queue rule could take them, and nothing else is logged.
     */
    @Test
    void withALogGroupHandshakesAreLoggedAndAcceptedBeforeAnyQueueRule() {
        List<String> logged = new InterceptionRules(80, 0, 1, List.of(), 2, true).render().lines().toList();
        List<String> in = logged.stream().filter(r -> r.startsWith("-A TRODS_IN ")).toList();
        List<String> out = logged.stream().filter(r -> r.startsWith("-A TRODS_OUT ")).toList();
        String syn = "--tcp-flags SYN,ACK,RST SYN -j ";
        String synAck = "--tcp-flags SYN,ACK,RST SYN,ACK -j ";

        assertThat(indexOf(in, syn + "NFLOG --nflog-group 2 --nflog-threshold 1")).as(in.toString()).isNotNegative()
                .isLessThan(indexOf(in, syn + "ACCEPT")).isLessThan(indexOf(in, "-j NFQUEUE"));
        assertThat(indexOf(in, syn + "ACCEPT")).isLessThan(indexOf(in, "-j NFQUEUE"));
        assertThat(indexOf(out, synAck + "NFLOG --nflog-group 2 --nflog-threshold 1")).as(out.toString()).isNotNegative()
                .isLessThan(indexOf(out, synAck + "ACCEPT")).isLessThan(indexOf(out, "-j NFQUEUE"));
        // Let-go, fast-path and the agent's own packets still leave first.
        assertThat(indexOf(out, "-m mark --mark 0x54520005 -j ACCEPT")).isLessThan(indexOf(out, "NFLOG"));
        assertThat(logged.stream().filter(r -> r.contains("NFLOG"))).as("SYN, SYN-ACK, client packets").hasSize(3);
        assertThat(logged.stream().filter(r -> r.contains("NFQUEUE"))).as("no queue rule for a SYN").hasSize(3)
                .noneMatch(r -> r.contains("--tcp-flags")).allMatch(r -> r.endsWith("--queue-bypass"));
    }

    /**
     * With a log group, a client's packets on a known connection are logged and accepted, except
     * those of a connection the agent recreated (its socket's mark): queued, so that the engine can
     * lower their ACKs. Unknown connections still go to the recovery queue.
     */
    @Test
    void withALogGroupOnlyRecoveredConnectionsClientPacketsAreQueued() {
        List<String> in = new InterceptionRules(80, 0, 1, List.of(), 2, true).render().lines()
                .filter(r -> r.startsWith("-A TRODS_IN ")).toList();
        int recovered = indexOf(in, "-m socket --restore-skmark -m mark --mark 0x54520006 -j NFQUEUE --queue-num 0");
        int logged = indexOf(in, "-m socket -j NFLOG --nflog-group 2");
        int accepted = indexOf(in, "-m socket -j ACCEPT");
        int unknown = indexOf(in, "-j NFQUEUE --queue-num 1");
        assertThat(recovered).as(in.toString()).isNotNegative().isLessThan(logged);
        assertThat(logged).isLessThan(accepted);
        assertThat(accepted).isLessThan(unknown);
        assertThat(in.get(unknown)).doesNotContain("-m socket");
    }

    @Test
    void withALogGroupButNoClientLoggingAClientsPacketsAreQueued() {
        List<String> in = new InterceptionRules(80, 0, 1, List.of(), 2, false).render().lines()
                .filter(r -> r.startsWith("-A TRODS_IN ")).toList();
        assertThat(in).filteredOn(r -> r.contains("NFLOG")).hasSize(1).allMatch(r -> r.contains("--tcp-flags SYN,ACK,RST SYN "));
        assertThat(in).anyMatch(r -> r.endsWith("-m socket -j NFQUEUE --queue-num 0 --queue-bypass"));
    }

    @Test
    void withoutALogGroupHandshakesAreQueued() {
        assertThat(rules).noneMatch(r -> r.contains("NFLOG"))
                .anyMatch(r -> r.contains("--tcp-flags SYN,ACK,RST SYN -j NFQUEUE --queue-num 0"));
    }

    private static int indexOf(List<String> rules, String part) {
        for (int i = 0; i < rules.size(); i++) {
            if (rules.get(i).contains(part)) {
                return i;
            }
        }
        return -1;
    }
}
