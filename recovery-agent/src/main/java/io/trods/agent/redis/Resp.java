package io.trods.agent.redis;

import java.nio.charset.StandardCharsets;

/**
 * The part of RESP (the Redis protocol) that the packet thread's own connection speaks: commands
 * written as arrays of bulk strings into a byte array, and the replies of those commands (simple
 * strings, errors, integers, bulk strings) found in a receive buffer. Pure: no socket.
 */
final class Resp {

    /** A reply's kind, as its first byte says. */
    enum Kind { OK, ERROR, INTEGER, BULK }

    private Resp() {
    }

    /**
     * Writes a command at {@code at} of {@code out}.
     *
     * @return where it ends, or -1 if it does not fit (nothing of it counts then)
     */
    static int command(byte[] out, int at, byte[]... args) {
        int size = 1 + digits(args.length) + 2;
        for (byte[] arg : args) {
            size += 1 + digits(arg.length) + 2 + arg.length + 2;
        }
        if (at + size > out.length) {
            return -1;
        }
        out[at++] = '*';
        at = number(out, at, args.length);
        for (byte[] arg : args) {
            out[at++] = '$';
            at = number(out, at, arg.length);
            System.arraycopy(arg, 0, out, at, arg.length);
            at += arg.length;
            out[at++] = '\r';
            out[at++] = '\n';
        }
        return at;
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] decimal(long value) {
        return ascii(Long.toString(value));
    }

    private static int digits(int value) {
        int n = 1;
        while (value >= 10) {
            value /= 10;
            n++;
        }
        return n;
    }

    /** The decimal number and CRLF. */
    private static int number(byte[] out, int at, int value) {
        int end = at + digits(value);
        for (int i = end - 1; i >= at; i--) {
            out[i] = (byte) ('0' + value % 10);
            value /= 10;
        }
        out[end] = '\r';
        out[end + 1] = '\n';
        return end + 2;
    }

    /** One parsed reply: its kind, for an error its text, for a bulk string where its bytes are. */
    static final class Reply {
        Kind kind;
        String error;
        /** A bulk string's first byte in the buffer; -1 for a null bulk string (and other kinds). */
        int valueOffset = -1;
        int valueLength;
        /** An integer reply's value (0 for other kinds). */
        long integer;
    }

    /**
     * Parses the reply that starts at {@code from}.
     *
     * @return where it ends, or -1 if it is not complete yet
     * @throws IllegalArgumentException for anything that is not a reply to our commands (arrays,
     *     RESP3 types, a broken line): the connection must be dropped
     */
    static int reply(byte[] in, int from, int to, Reply into) {
        if (from >= to) {
            return -1;
        }
        int lineEnd = lineEnd(in, from + 1, to);
        if (lineEnd < 0) {
            if (to - from > 512) {
                throw new IllegalArgumentException("a reply line longer than 512 bytes");
            }
            return -1;
        }
        into.error = null;
        into.valueOffset = -1;
        into.valueLength = 0;
        into.integer = 0;
        switch (in[from]) {
            case '+' -> {
                into.kind = Kind.OK;
                return lineEnd + 2;
            }
            case '-' -> {
                into.kind = Kind.ERROR;
                into.error = new String(in, from + 1, lineEnd - from - 1, StandardCharsets.UTF_8);
                return lineEnd + 2;
            }
            case ':' -> {
                into.integer = parseLong(in, from + 1, lineEnd);
                into.kind = Kind.INTEGER;
                return lineEnd + 2;
            }
            case '$' -> {
                long length = parseLong(in, from + 1, lineEnd);
                into.kind = Kind.BULK;
                if (length < 0) {
                    return lineEnd + 2; // a null bulk string
                }
                long end = lineEnd + 2 + length + 2;
                if (end > to) {
                    return -1;
                }
                if (in[(int) end - 2] != '\r' || in[(int) end - 1] != '\n') {
                    throw new IllegalArgumentException("a bulk string not ended by CRLF");
                }
                into.valueOffset = lineEnd + 2;
                into.valueLength = (int) length;
                return (int) end;
            }
            default -> throw new IllegalArgumentException("unexpected reply type '" + (char) (in[from] & 0xFF) + "'");
        }
    }

    private static int lineEnd(byte[] in, int from, int to) {
        for (int i = from; i + 1 < to; i++) {
            if (in[i] == '\r') {
                if (in[i + 1] != '\n') {
                    throw new IllegalArgumentException("CR without LF in a reply");
                }
                return i;
            }
        }
        return -1;
    }

    private static long parseLong(byte[] in, int from, int to) {
        if (from >= to || to - from > 20) {
            throw new IllegalArgumentException("not a number in a reply");
        }
        boolean negative = in[from] == '-';
        long value = 0;
        for (int i = negative ? from + 1 : from; i < to; i++) {
            int d = in[i] - '0';
            if (d < 0 || d > 9) {
                throw new IllegalArgumentException("not a number in a reply");
            }
            value = value * 10 + d;
        }
        return negative ? -value : value;
    }
}
