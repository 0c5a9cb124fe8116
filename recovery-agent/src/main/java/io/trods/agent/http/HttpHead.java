package io.trods.agent.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The head of an HTTP/1.x message split into its start line and header fields, strictly: anything
 * ambiguous (obsolete line folding, a field without a colon, whitespace before the colon, a bare LF,
 * control characters) is refused rather than guessed at, because a recovery built on a guess could
 * splice the wrong bytes.
 */
final class HttpHead {

    /** Bigger heads are refused: nginx's default large_client_header_buffers is 4 x 8k. */
    static final int MAX_HEAD_BYTES = 16 * 1024;
    static final int MAX_FIELDS = 100;

    final String startLine;
    final List<String> names = new ArrayList<>();
    final List<String> values = new ArrayList<>();
    /** Bytes from the start of the message to the end of the blank line that closes the head. */
    final int length;

    private HttpHead(String startLine, int length) {
        this.startLine = startLine;
        this.length = length;
    }

    /**
     * Finds the end of the head ("\r\n\r\n") in {@code buf[from, to)}.
     *
     * @return the length of the head including the blank line, -1 if it is not complete yet
     */
    static int findEnd(byte[] buf, int from, int to) {
        for (int i = from + 3; i < to; i++) {
            if (buf[i] == '\n' && buf[i - 1] == '\r' && buf[i - 2] == '\n' && buf[i - 3] == '\r') {
                return i + 1 - from;
            }
        }
        return -1;
    }

    /** The head's lines, split at CRLF (String.split would compile a regular expression per head). */
    private static String[] lines(String text) {
        java.util.List<String> lines = new java.util.ArrayList<>(16);
        int start = 0;
        for (int crlf; (crlf = text.indexOf("\r\n", start)) >= 0; start = crlf + 2) {
            lines.add(text.substring(start, crlf));
        }
        lines.add(text.substring(start));
        return lines.toArray(new String[0]);
    }

    /**
     * Splits a complete head.
     *
     * @throws MalformedHttpException when the head breaks the grammar of RFC 9112
     */
    static HttpHead split(byte[] buf, int from, int headLength) throws MalformedHttpException {
        String text = new String(buf, from, headLength - 4, StandardCharsets.ISO_8859_1);
        String[] lines = lines(text);
        HttpHead head = new HttpHead(lines[0], headLength);
        checkChars(lines[0]);
        if (lines.length - 1 > MAX_FIELDS) {
            throw new MalformedHttpException("more than " + MAX_FIELDS + " header fields");
        }
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            checkChars(line);
            if (line.isEmpty() || line.charAt(0) == ' ' || line.charAt(0) == '\t') {
                throw new MalformedHttpException("obsolete line folding or an empty field line");
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new MalformedHttpException("a header field without a name and a colon");
            }
            String name = line.substring(0, colon);
            if (!Tokens.isToken(name)) {
                throw new MalformedHttpException("an invalid header field name: " + Tokens.printable(name));
            }
            head.names.add(name.toLowerCase(Locale.ROOT));
            head.values.add(line.substring(colon + 1).strip());
        }
        return head;
    }

    private static void checkChars(String line) throws MalformedHttpException {
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '\n' || c == '\r' || c == 0 || c < 0x20 && c != '\t' || c == 0x7F) {
                throw new MalformedHttpException("a control character in the head");
            }
        }
    }

    /** The only value of a field, null if absent. */
    String single(String name) throws MalformedHttpException {
        String found = null;
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equals(name)) {
                if (found != null && !found.equals(values.get(i))) {
                    throw new MalformedHttpException("conflicting " + name + " fields");
                }
                found = values.get(i);
            }
        }
        return found;
    }

    /** All values of a (list-valued) field joined with commas, null if absent. */
    String joined(String name) {
        StringBuilder joined = null;
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equals(name)) {
                joined = joined == null ? new StringBuilder(values.get(i)) : joined.append(", ").append(values.get(i));
            }
        }
        return joined == null ? null : joined.toString();
    }

    static boolean containsToken(String list, String token) {
        if (list == null) {
            return false;
        }
        for (String item : list.split(",")) {
            if (item.strip().equalsIgnoreCase(token)) {
                return true;
            }
        }
        return false;
    }
}
