package io.trods.agent.http;

/**
 * The head of one client request, as far as recovery cares.
 *
 * @param method the method token, case-sensitive as sent
 * @param target the request target as sent (origin-form "/path?query" for the requests we protect)
 * @param http11 true for HTTP/1.1, false for HTTP/1.0
 * @param host the Host field, null if absent
 * @param range the Range field as sent, null if absent
 * @param keepAlive whether the connection stays open after the response (HTTP/1.1 unless
 *     "Connection: close"; HTTP/1.0 only with "Connection: keep-alive")
 * @param hasBody whether a body follows the head (Content-Length above 0 or Transfer-Encoding)
 * @param length bytes of the head, including the blank line that ends it
 */
public record RequestHead(String method, String target, boolean http11, String host, String range,
        boolean keepAlive, boolean hasBody, int length) {

    /**
     * Parses the request that starts at {@code buf[from]}, with {@code to} the end of the bytes seen
     * so far.
     *
     * @return the head, or null if it is not complete yet
     * @throws MalformedHttpException if the bytes are not an HTTP/1.x request, or the head exceeds
     *     {@link HttpHead#MAX_HEAD_BYTES}
     */
    public static RequestHead parse(byte[] buf, int from, int to) throws MalformedHttpException {
        int scanTo = Math.min(to, from + HttpHead.MAX_HEAD_BYTES);
        int length = HttpHead.findEnd(buf, from, scanTo);
        if (length < 0) {
            if (to - from >= HttpHead.MAX_HEAD_BYTES) {
                throw new MalformedHttpException("a request head over " + HttpHead.MAX_HEAD_BYTES + " bytes");
            }
            return null;
        }
        HttpHead head = HttpHead.split(buf, from, length);
        String[] parts = head.startLine.split(" ", -1);
        if (parts.length != 3 || !Tokens.isToken(parts[0]) || parts[1].isEmpty()) {
            throw new MalformedHttpException("not a request line: " + Tokens.printable(head.startLine));
        }
        boolean http11;
        switch (parts[2]) {
            case "HTTP/1.1" -> http11 = true;
            case "HTTP/1.0" -> http11 = false;
            default -> throw new MalformedHttpException("unsupported version " + Tokens.printable(parts[2]));
        }
        String contentLength = head.single("content-length");
        long bodyLength = contentLength == null ? 0 : Tokens.parseLength(contentLength);
        if (bodyLength < 0) {
            throw new MalformedHttpException("an invalid Content-Length");
        }
        boolean hasBody = bodyLength > 0 || head.joined("transfer-encoding") != null;
        String connection = head.joined("connection");
        boolean keepAlive = http11 ? !HttpHead.containsToken(connection, "close")
                : HttpHead.containsToken(connection, "keep-alive");
        return new RequestHead(parts[0], parts[1], http11, head.single("host"), head.single("range"),
                keepAlive, hasBody, length);
    }
}
