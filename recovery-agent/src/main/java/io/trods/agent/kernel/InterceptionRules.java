package io.trods.agent.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The agent's packet-filter rules, which send the web server's packets to the agent's queues: two
 * chains of the mangle table, written by one {@code iptables-restore} (all or nothing) and jumped to
 * from INPUT and OUTPUT. iptables, not native nftables: this kernel has the xt NFQUEUE target and
 * the xt socket match but not nftables' own queue expression (measured: "Could not process rule"),
 * and Debian's iptables drives nf_tables through them anyway. Applying twice is harmless. Every queue
 * rule has --queue-bypass: with no agent listening the packets flow on (fail-open).
 *
 * <ul>
 *   <li>Loopback is left alone: it carries the agent's own Range requests to the local server.
 *   <li>So are the health checkers' connections: unprotected, and never queued behind protected
 *       traffic, which could make a busy server look dead.
 *   <li>Connections the agent has let go carry {@link #FORGOTTEN_MARK} in conntrack and skip Java.
 *       The agent lets a connection go by sending one of its packets through the chain again
 *       (NF_REPEAT) with that packet mark, which the first rule copies to the connection. The
 *       repeated packet itself is accepted by its packet mark: a packet that conntrack calls
 *       INVALID has no connection to keep the mark in, and was queued again, answered again, and
 *       so on forever (measured: 450,000 loops a second on one agent after flows had moved between
 *       servers).
 *   <li>Packets the kernel's fast path already handled (the bulk of a long response and its
 *       client's pure ACKs, see {@link io.trods.agent.engine.FastPath}) carry
 *       {@link #FAST_PATH_MARK} and skip Java.
 *   <li>Segments the agent sends itself through its raw socket ({@link RawSocket#AGENT_MARK}: a
 *       release, a prompt, an answer to an unknown flow) leave unqueued. Queued, each would cross
 *       to Java once more for nothing (a release: one of the three crossings of a small keep-alive
 *       response), and a prompt, a segment of a flow the engine does not track, would be let go
 *       with {@link #FORGOTTEN_MARK} on its conntrack entry.
 *   <li>Handshakes: a new connection's SYN and the server's SYN-ACK are logged (NFLOG, on the
 *       queues' own socket, so their copies arrive in order with the queued packets) and accepted
 *       at once: the agent only reads their options, and a queued SYN and SYN-ACK cost a new
 *       connection two crossings to Java and back before its request could even be sent
 *       (measured: 82 instead of 6 microseconds from SYN to SYN-ACK). With no log group, they are
 *       queued like the rest.
 *   <li>Packets of connections with a local socket ("-m socket" without --nowildcard matches a
 *       connection's socket, not the *:80 listener): the normal path. Optionally (off by
 *       default, see {@code trods.agent.log-client-packets}) a client's packets are logged too, not
 *       queued: the engine only reads them (the request, the client's
 *       position), and a queued request waited for the agent before the web server could read it.
 *       The server's segments stay queued: they are what the engine holds and rewrites, and a
 *       client's copy always arrives before the server's answer to it. The exception is a
 *       recovered connection, whose socket the agent made and marked ({@link #RECOVERED_MARK}):
 *       the engine may have to lower its client's ACKs, so they are queued
 *       ("--restore-skmark" copies the socket's mark to the packet).
 *   <li>Any other packet to the port (a connection no local socket knows: a failed server's
 *       client, routed here): the recovery queue, before the kernel would answer it with RST.
 * </ul>
 */
public final class InterceptionRules {

    static final String IN_CHAIN = "TRODS_IN";
    static final String OUT_CHAIN = "TRODS_OUT";
    /** "TR" and 1: set by the agent's verdicts on connections it no longer needs to see. */
    public static final int FORGOTTEN_MARK = 0x54520001;
    /** "TR" and 4: set by the fast path's nftables rules, which run just before these chains. */
    public static final int FAST_PATH_MARK = 0x54520004;
    /** "TR" and 6: the mark of the sockets the agent recreated for recovered connections. */
    public static final int RECOVERED_MARK = 0x54520006;

    private final int port;
    private final int normalQueue;
    private final int recoveryQueue;
    private final List<String> healthCheckSources;
    private final int logGroup;
    private final boolean logClientPackets;

    /** @param healthCheckSources IPv4 addresses or CIDRs whose connections skip the queues */
    public InterceptionRules(int port, int normalQueue, int recoveryQueue, List<String> healthCheckSources) {
        this(port, normalQueue, recoveryQueue, healthCheckSources, -1, false);
    }

    /**
     * @param logGroup the NFLOG group that handshakes are logged to instead of being queued; -1:
     *     queued to the normal queue
     * @param logClientPackets whether a client's packets on known connections are logged to that
     *     group too (except a recovered connection's) instead of being queued
     */
    public InterceptionRules(int port, int normalQueue, int recoveryQueue, List<String> healthCheckSources,
            int logGroup, boolean logClientPackets) {
        this.logGroup = logGroup;
        this.logClientPackets = logGroup >= 0 && logClientPackets;
        this.port = port;
        this.normalQueue = normalQueue;
        this.recoveryQueue = recoveryQueue;
        this.healthCheckSources = List.copyOf(healthCheckSources);
    }

    /** The chains, as iptables-restore input; declaring a chain also empties it. */
    public String render() {
        StringBuilder checkers = new StringBuilder();
        for (String source : healthCheckSources) {
            checkers.append("-A %1$s -s ").append(source).append(" -j RETURN\n");
            checkers.append("-A %2$s -d ").append(source).append(" -j RETURN\n");
        }
        return ("""
                *mangle
                :%1$s - [0:0]
                :%2$s - [0:0]
                -A %1$s -i lo -j RETURN
                -A %2$s -o lo -j RETURN
                """ + checkers + """
                -A %1$s -p tcp --dport %3$d -m mark --mark 0x%7$08x -j ACCEPT
                -A %1$s -p tcp --dport %3$d -m mark --mark 0x%4$08x -j CONNMARK --set-mark 0x%4$08x
                -A %1$s -p tcp --dport %3$d -m mark --mark 0x%4$08x -j ACCEPT
                -A %1$s -p tcp --dport %3$d -m connmark --mark 0x%4$08x -j ACCEPT
                """ + handshake("%1$s -p tcp --dport %3$d --tcp-flags SYN,ACK,RST SYN") + """
                """ + knownConnections("%1$s -p tcp --dport %3$d -m socket") + """
                -A %1$s -p tcp --dport %3$d -j NFQUEUE --queue-num %6$d --queue-bypass
                -A %2$s -p tcp --sport %3$d -m mark --mark 0x%7$08x -j ACCEPT
                -A %2$s -p tcp --sport %3$d -m mark --mark 0x%8$08x -j ACCEPT
                -A %2$s -p tcp --sport %3$d -m mark --mark 0x%4$08x -j CONNMARK --set-mark 0x%4$08x
                -A %2$s -p tcp --sport %3$d -m mark --mark 0x%4$08x -j ACCEPT
                -A %2$s -p tcp --sport %3$d -m connmark --mark 0x%4$08x -j ACCEPT
                """ + (logGroup < 0 ? "" : handshake("%2$s -p tcp --sport %3$d --tcp-flags SYN,ACK,RST SYN,ACK")) + """
                -A %2$s -p tcp --sport %3$d -j NFQUEUE --queue-num %5$d --queue-bypass
                COMMIT
                """).formatted(IN_CHAIN, OUT_CHAIN, port, FORGOTTEN_MARK, normalQueue, recoveryQueue,
                FAST_PATH_MARK, RawSocket.AGENT_MARK, RECOVERED_MARK);
    }

    /**
     * The rules for a handshake's packets matched by {@code match} (chain and match, with the
     * format's placeholders): logged and accepted, or without a log group queued to the normal
     * queue.
     */
    private String handshake(String match) {
        if (logGroup < 0) {
            return "-A " + match + " -j NFQUEUE --queue-num %5$d --queue-bypass\n";
        }
        return "-A " + match + " -j NFLOG --nflog-group " + logGroup + " --nflog-threshold 1\n"
                + "-A " + match + " -j ACCEPT\n";
    }

    /**
     * The rules for a client's packets of a connection with a local socket ({@code match}): logged
     * and accepted, except a recovered connection's (queued); otherwise all queued.
     */
    private String knownConnections(String match) {
        if (!logClientPackets) {
            return "-A " + match + " -j NFQUEUE --queue-num %5$d --queue-bypass\n";
        }
        return "-A " + match + " --restore-skmark -m mark --mark 0x%9$08x -j NFQUEUE --queue-num %5$d --queue-bypass\n"
                + "-A " + match + " -j NFLOG --nflog-group " + logGroup + " --nflog-threshold 1\n"
                + "-A " + match + " -j ACCEPT\n";
    }

    /** Installs (or replaces) the chains and makes sure each is jumped to exactly once. */
    public void apply() throws IOException {
        run(List.of("iptables-restore", "--noflush"), render(), true);
        jump("INPUT", IN_CHAIN);
        jump("OUTPUT", OUT_CHAIN);
    }

    private static void jump(String from, String to) throws IOException {
        if (run(List.of("iptables", "-w", "-t", "mangle", "-C", from, "-j", to), null, false) != 0) {
            run(List.of("iptables", "-w", "-t", "mangle", "-I", from, "1", "-j", to), null, true);
        }
    }

    /** Removes the jumps and the chains, whatever is left of them. */
    public void remove() throws IOException {
        for (String[] pair : new String[][] {{"INPUT", IN_CHAIN}, {"OUTPUT", OUT_CHAIN}}) {
            while (run(List.of("iptables", "-w", "-t", "mangle", "-D", pair[0], "-j", pair[1]), null, false) == 0) {
                // a jump added twice by hand is removed too
            }
            run(List.of("iptables", "-w", "-t", "mangle", "-F", pair[1]), null, false);
            run(List.of("iptables", "-w", "-t", "mangle", "-X", pair[1]), null, false);
        }
    }

    public boolean applied() {
        try {
            return run(List.of("iptables", "-w", "-t", "mangle", "-C", "INPUT", "-j", IN_CHAIN), null, false) == 0;
        } catch (IOException e) {
            return false;
        }
    }

    private static int run(List<String> command, String stdin, boolean mustSucceed) throws IOException {
        Commands.Result result = Commands.run(command, stdin);
        if (mustSucceed && result.exit() != 0) {
            throw new IOException(String.join(" ", command) + ": " + result.output());
        }
        return result.exit();
    }
}
