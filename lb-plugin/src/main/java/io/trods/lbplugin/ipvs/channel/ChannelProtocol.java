package io.trods.lbplugin.ipvs.channel;

import io.trods.lbplugin.driver.CommandRunner.CommandResult;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The guest control channel's line protocol (version {@code TRODS1}). One line per request and per
 * response, fields separated by one space, payloads in base64 (standard alphabet, {@code -} when
 * empty) so that no payload byte can end a line:
 *
 * <pre>
 * request:  TRODS1 &lt;id&gt; &lt;timeout seconds&gt; &lt;shell command line&gt; &lt;stdin&gt;
 * response: TRODS1 &lt;id&gt; &lt;exit status&gt; &lt;stdout&gt; &lt;stderr&gt;
 * </pre>
 *
 * The guest runs the line with {@code sh}, killed after the timeout (exit status 137). Ids are
 * chosen by the client; a response with another id answers an older request that timed out and is
 * skipped.
 */
public final class ChannelProtocol {

    public static final String MAGIC = "TRODS1";

    private ChannelProtocol() {}

    /** A parsed response line. */
    public record Response(String id, CommandResult result) {}

    public static String request(String id, int timeoutSeconds, String commandLine, byte[] stdin) {
        if (!id.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("bad request id " + id);
        }
        return MAGIC + ' ' + id + ' ' + Math.max(1, timeoutSeconds) + ' '
                + encode(commandLine.getBytes(StandardCharsets.UTF_8)) + ' ' + encode(stdin) + '\n';
    }

    /** The response a line carries, or null when the line is not one (noise on the port). */
    public static Response parseResponse(String line) {
        String[] f = line.strip().split(" ", -1);
        if (f.length != 5 || !f[0].equals(MAGIC)) {
            return null;
        }
        try {
            return new Response(f[1], new CommandResult(Integer.parseInt(f[2]), decode(f[3]), decode(f[4])));
        } catch (IllegalArgumentException e) {
            return null; // a bad number or bad base64: not a response of ours
        }
    }

    static String encode(byte[] data) {
        return data == null || data.length == 0 ? "-" : Base64.getEncoder().encodeToString(data);
    }

    static String decode(String field) {
        return field.equals("-") ? "" : new String(Base64.getDecoder().decode(field), StandardCharsets.UTF_8);
    }
}
