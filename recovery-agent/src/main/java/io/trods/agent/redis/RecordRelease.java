package io.trods.agent.redis;

import io.trods.agent.flow.FlowRecordCodec;
import java.nio.charset.StandardCharsets;

/**
 * The removal of a flow's record by the server whose connection ended, as one Lua script on the
 * record's key (one key: a Redis Cluster takes it in any slot): the record goes only while it still
 * names that server. A server that was wrongly declared failed is still alive, and its ended
 * connection's removal must not take the record a survivor now carries (seen in the lab: a false
 * removal under load, the survivors took the flows over, the old server's sockets were reset by
 * the client, its agent deleted their records, and the next move of those flows found none and
 * reset the client). After a reset the record is kept {@link #RESET_GRACE_MILLIS} instead of
 * deleted, because that reset may come before the survivor has rewritten the record as its own.
 */
final class RecordRelease {

    /** Long enough for a client's backed-off retransmission or a prompt's follow-up to reach a survivor. */
    static final long RESET_GRACE_MILLIS = 30_000;

    /** KEYS[1] the record; ARGV: the server mark's offset, the mark, the grace in ms (0: delete now). */
    static final String SCRIPT = """
            local v = redis.call('GET', KEYS[1])
            local at = tonumber(ARGV[1])
            if v and string.sub(v, at + 1, at + #ARGV[2]) == ARGV[2] then
              if ARGV[3] == '0' then return redis.call('DEL', KEYS[1]) end
              return redis.call('PEXPIRE', KEYS[1], ARGV[3])
            end
            return 0
            """;

    static final byte[] SCRIPT_BYTES = SCRIPT.getBytes(StandardCharsets.US_ASCII);
    static final byte[] OFFSET = Resp.decimal(FlowRecordCodec.SERVER_OFFSET);
    private static final byte[] NOW = Resp.ascii("0");
    private static final byte[] GRACE = Resp.decimal(RESET_GRACE_MILLIS);

    private RecordRelease() {
    }

    /** The script's grace argument. */
    static byte[] grace(boolean afterReset) {
        return afterReset ? GRACE : NOW;
    }
}
