package io.trods.agent.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The nftables table of the kernel's fast path ({@link io.trods.agent.engine.FastPath}): three
 * interval sets that the agent fills over netlink ({@link NftLaneWriter}) and two chains that
 * run just before the iptables chains of {@link InterceptionRules} (mangle priority minus 10).
 *
 * <ul>
 *   <li>{@code caps} maps client address . client port . server sequence range to the capped
 *       acknowledgement: the server's segments in a lane leave with that ACK, their SACK option
 *       blanked, and {@link InterceptionRules#FAST_PATH_MARK}, which the iptables chain accepts.
 *   <li>{@code zero}: same key; the lane's segments also advertise a zero window. Looked up only
 *       for a segment the caps map matched (it carries the mark by then): every other segment of
 *       the port, a small response's included, pays one interval lookup in this chain, not two.
 *   <li>{@code acks}: client address . port . acknowledgement range: the client's pure ACKs
 *       (no payload: IP length = 20 + 4 x data offset, whatever the options, SACK blocks
 *       included) go to the socket with the mark, unqueued. Anything else (data, FIN, RST, an IP
 *       option) still queues.
 *   <li>Segments the agent's raw socket sends ({@link RawSocket#AGENT_MARK}) are left alone: a
 *       release must reopen the window.
 * </ul>
 *
 * Native nftables here, unlike the queue rules: maps with interval keys and payload rewrites exist
 * only there. Applying replaces the table in one transaction, so a restarted agent starts with no
 * lanes; a stopped agent's table is removed. Availability is checked once, with its cause kept.
 */
public final class FastPathRules {

    public static final String TABLE = "trods_agent";
    public static final String CAPS = "caps";
    public static final String ZERO = "zero";
    public static final String ACKS = "acks";

    /**
     * Data offset byte . IP length of a TCP segment without payload, for every data offset: a pure
     * ACK. The whole byte (offset and reserved bits), not {@code tcp doff}: nft 1.0.6 accepts a
     * 4-bit field in a concatenation but then aborts listing the rule. A set byte of reserved bits
     * (AccECN) does not match, and the segment queues as before.
     *
     * <p>SACK-bearing ACKs used to queue: while a segment is missing at the client every ACK it
     * sends carries SACK blocks, and in a burst of 100 resumed downloads they were 7,000-10,000 of
     * a server's queued packets, each delayed by the queue just when the sender recovers a loss.
     * The engine does nothing with them in a lane (a recovered connection, whose ACKs it must see,
     * has no lane).
     */
    static final String PURE_ACK_SHAPES = java.util.stream.IntStream.rangeClosed(5, 15)
            .mapToObj(doff -> "0x%02x . %d".formatted(doff << 4, 20 + 4 * doff))
            .collect(java.util.stream.Collectors.joining(", ", "{ ", " }"));

    private static volatile String unavailabilityCause;
    private static volatile boolean checked;

    private final int port;

    public FastPathRules(int port) {
        this.port = port;
    }

    public String render() {
        return """
                table ip %1$s {
                  map %2$s {
                    typeof ip daddr . tcp dport . tcp sequence : tcp ackseq
                    flags interval, timeout
                  }
                  set %3$s {
                    typeof ip daddr . tcp dport . tcp sequence
                    flags interval, timeout
                  }
                  set %4$s {
                    typeof ip saddr . tcp sport . tcp ackseq
                    flags interval, timeout
                  }
                  chain out {
                    type filter hook output priority mangle - 10; policy accept;
                    meta mark 0x%6$08x return
                    tcp sport %5$d tcp flags & (syn | fin | rst) == 0 tcp ackseq set ip daddr . tcp dport . tcp sequence map @%2$s reset tcp option sack meta mark set 0x%7$08x
                    meta mark 0x%7$08x ip daddr . tcp dport . tcp sequence @%3$s tcp window set 0
                  }
                  chain in {
                    type filter hook input priority mangle - 10; policy accept;
                    tcp dport %5$d tcp flags == ack @th,96,8 . ip length %8$s ip saddr . tcp sport . tcp ackseq @%4$s meta mark set 0x%7$08x
                  }
                }
                """.formatted(TABLE, CAPS, ZERO, ACKS, port, RawSocket.AGENT_MARK, InterceptionRules.FAST_PATH_MARK,
                        PURE_ACK_SHAPES);
    }

    /** Creates the table, or replaces it (and every lane in it) with an empty one. */
    public void apply() throws IOException {
        String script = "table ip " + TABLE + " {}\ndelete table ip " + TABLE + "\n" + render();
        String output = nft(List.of("nft", "-f", "-"), script);
        if (output != null) {
            throw new IOException("nft -f: " + output);
        }
    }

    /** Removes the table, whatever is left of it. */
    public void remove() throws IOException {
        nft(List.of("nft", "delete", "table", "ip", TABLE), null); // absent: fine
    }

    public boolean applied() {
        try {
            return nft(List.of("nft", "list", "table", "ip", TABLE), null) == null;
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether this kernel and nft can hold the table (checked once, without changing anything). */
    public static boolean isAvailable() {
        check();
        return unavailabilityCause == null;
    }

    /** Why the fast path is not available; null when it is. */
    public static String unavailabilityCause() {
        check();
        return unavailabilityCause;
    }

    private static synchronized void check() {
        if (checked) {
            return;
        }
        try {
            String output = nft(List.of("nft", "-c", "-f", "-"), new FastPathRules(80).render());
            unavailabilityCause = output == null ? null : "nft -c rejected the table: " + output;
        } catch (IOException e) {
            unavailabilityCause = "nft could not run: " + e.getMessage();
        }
        checked = true;
    }

    /** Runs nft; null on success, else its output. */
    private static String nft(List<String> command, String stdin) throws IOException {
        Commands.Result result = Commands.run(command, stdin);
        return result.exit() == 0 ? null : result.output() + " (exit " + result.exit() + ")";
    }
}
