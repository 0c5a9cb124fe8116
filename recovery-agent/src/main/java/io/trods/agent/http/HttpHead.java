package io.trods.agent.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

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
    /** As sent: compared without regard to case. */
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

    /**
     * Splits a complete head. Works on the bytes: two strings per field (its name, as sent, and
     * its value), since heads are split for every protected response on the packet thread.
     *
     * @throws MalformedHttpException when the head breaks the grammar of RFC 9112
     */
    static HttpHead split(byte[] buf, int from, int headLength) throws MalformedHttpException {
        int end = from + headLength - 4; // where the last line ends: the blank line's CRLF CRLF follows
        int lineEnd = lineEnd(buf, from, end);
        checkChars(buf, from, lineEnd);
        HttpHead head = new HttpHead(new String(buf, from, lineEnd - from, StandardCharsets.ISO_8859_1), headLength);
        for (int start = lineEnd + 2; lineEnd < end; start = lineEnd + 2) {
            lineEnd = lineEnd(buf, start, end);
            checkChars(buf, start, lineEnd);
            if (head.names.size() == MAX_FIELDS) {
                throw new MalformedHttpException("more than " + MAX_FIELDS + " header fields");
            }
            if (start == lineEnd || buf[start] == ' ' || buf[start] == '\t') {
                throw new MalformedHttpException("obsolete line folding or an empty field line");
            }
            int colon = start;
            while (colon < lineEnd && buf[colon] != ':') {
                colon++;
            }
            if (colon == start || colon == lineEnd) {
                throw new MalformedHttpException("a header field without a name and a colon");
            }
            String name = new String(buf, start, colon - start, StandardCharsets.ISO_8859_1);
            if (!Tokens.isToken(name)) {
                throw new MalformedHttpException("an invalid header field name: " + Tokens.printable(name));
            }
            int valueStart = colon + 1;
            int valueEnd = lineEnd;
            while (valueStart < valueEnd && isOws(buf[valueStart])) {
                valueStart++;
            }
            while (valueEnd > valueStart && isOws(buf[valueEnd - 1])) {
                valueEnd--;
            }
            head.names.add(name);
            head.values.add(new String(buf, valueStart, valueEnd - valueStart, StandardCharsets.ISO_8859_1));
        }
        return head;
    }

    /** Where the line starting at {@code start} ends: its CRLF, or {@code end} for the last line. */
    private static int lineEnd(byte[] buf, int start, int end) {
        for (int i = start; i + 1 < end; i++) {
            if (buf[i] == '\r' && buf[i + 1] == '\n') {
                return i;
            }
        }
        return end;
    }

    private static boolean isOws(byte b) {
        return b == ' ' || b == '\t';
    }

    private static void checkChars(byte[] buf, int from, int to) throws MalformedHttpException {
        for (int i = from; i < to; i++) {
            int c = buf[i] & 0xFF;
            if (c == '\n' || c == '\r' || c == 0 || c < 0x20 && c != '\t' || c == 0x7F) {
                throw new MalformedHttpException("a control character in the head");
            }
        }
    }

    /** The only value of a field, null if absent. */
    String single(String name) throws MalformedHttpException {
        String found = null;
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equalsIgnoreCase(name)) {
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
            if (names.get(i).equalsIgnoreCase(name)) {
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
