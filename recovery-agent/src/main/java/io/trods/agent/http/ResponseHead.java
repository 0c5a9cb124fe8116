package io.trods.agent.http;

/**
 * The head of one response, as far as deciding its recoverability and checking a recovery goes.
 *
 * @param status the status code
 * @param contentLength the Content-Length, -1 if absent
 * @param etag the ETag as sent (with its quotes, and W/ if weak), null if absent
 * @param lastModified the Last-Modified field as sent, null if absent
 * @param date the Date field as sent, null if absent
 * @param transferEncoding the Transfer-Encoding field, null if absent
 * @param contentEncoding the Content-Encoding field, null if absent
 * @param contentType the Content-Type field, null if absent
 * @param contentRange the parsed Content-Range, null if absent
 * @param keepAlive whether the server keeps the connection open after this response
 * @param length bytes of the head, including the blank line: the body starts right after
 */
public record ResponseHead(int status, long contentLength, String etag, String lastModified, String date,
        String transferEncoding, String contentEncoding, String contentType, ContentRange contentRange,
        boolean keepAlive, int length) {

    /**
     * Parses the response that starts at {@code buf[from]}.
     *
     * @return the head, or null if it is not complete yet
     * @throws MalformedHttpException if the bytes are not an HTTP/1.x response head
     */
    public static ResponseHead parse(byte[] buf, int from, int to) throws MalformedHttpException {
        int scanTo = Math.min(to, from + HttpHead.MAX_HEAD_BYTES);
        int length = HttpHead.findEnd(buf, from, scanTo);
        if (length < 0) {
            if (to - from >= HttpHead.MAX_HEAD_BYTES) {
                throw new MalformedHttpException("a response head over " + HttpHead.MAX_HEAD_BYTES + " bytes");
            }
            return null;
        }
        HttpHead head = HttpHead.split(buf, from, length);
        String line = head.startLine;
        boolean http11 = line.startsWith("HTTP/1.1 ");
        if (!http11 && !line.startsWith("HTTP/1.0 ") || line.length() < 12 || line.length() > 12 && line.charAt(12) != ' ') {
            throw new MalformedHttpException("not a status line: " + Tokens.printable(line));
        }
        long status = Tokens.parseLength(line.substring(9, 12));
        if (status < 100) {
            throw new MalformedHttpException("not a status code: " + Tokens.printable(line.substring(9, 12)));
        }
        String contentLength = head.single("content-length");
        long bodyLength = contentLength == null ? -1 : Tokens.parseLength(contentLength);
        if (contentLength != null && bodyLength < 0) {
            throw new MalformedHttpException("an invalid Content-Length");
        }
        String range = head.single("content-range");
        String connection = head.joined("connection");
        boolean keepAlive = http11 ? !HttpHead.containsToken(connection, "close")
                : HttpHead.containsToken(connection, "keep-alive");
        return new ResponseHead((int) status, bodyLength, head.single("etag"), head.single("last-modified"),
                head.single("date"), head.joined("transfer-encoding"), head.joined("content-encoding"),
                head.single("content-type"), range == null ? null : ContentRange.parse(range), keepAlive, length);
    }
}
