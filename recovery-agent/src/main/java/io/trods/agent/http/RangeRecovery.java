package io.trods.agent.http;

import java.nio.charset.StandardCharsets;

/**
 * The request a recovering agent sends to its local, unmodified web server, and the check of the
 * answer before a single byte of it reaches the client (BRIEF rule 2: never corrupt).
 */
public final class RangeRecovery {

    /** The answer does not continue the same bytes: the client's connection must be reset. */
    public static final class MismatchException extends Exception {

        private static final long serialVersionUID = 1L;

        public MismatchException(String message) {
            super(message, null, false, false);
        }
    }

    private RangeRecovery() {
    }

    /**
     * A GET of object bytes {@code first..last} (inclusive), valid only for the given validator: with
     * If-Range, a changed object comes back as a 200 instead of a 206, which {@link #check} refuses.
     */
    public static byte[] request(String target, String host, String validator, long first, long last) {
        String head = "GET " + target + " HTTP/1.1\r\n"
                + "Host: " + (host == null ? "localhost" : host) + "\r\n"
                + "Range: bytes=" + first + "-" + last + "\r\n"
                + "If-Range: " + validator + "\r\n"
                + "Connection: close\r\n"
                + "\r\n";
        return head.getBytes(StandardCharsets.ISO_8859_1);
    }

    /**
     * Accepts only a 206 of exactly the asked bytes, of the same version, unencoded.
     *
     * @param complete the object's complete length as first served, -1 if unknown
     */
    public static void check(ResponseHead response, String validator, long first, long last, long complete)
            throws MismatchException {
        if (response.status() != 206) {
            throw new MismatchException("status " + response.status() + " instead of 206 (object changed?)");
        }
        ContentRange range = response.contentRange();
        if (range == null || range.first() != first || range.last() != last) {
            throw new MismatchException("Content-Range " + range + " instead of " + first + "-" + last);
        }
        if (complete >= 0 && range.complete() != complete) {
            throw new MismatchException("complete length " + range.complete() + " instead of " + complete);
        }
        if (response.contentLength() != last - first + 1) {
            throw new MismatchException("Content-Length " + response.contentLength() + " for " + range);
        }
        if (response.transferEncoding() != null
                || response.contentEncoding() != null && !response.contentEncoding().equalsIgnoreCase("identity")) {
            throw new MismatchException("an encoded body");
        }
        if (validator.startsWith("\"") && !validator.equals(response.etag())) {
            throw new MismatchException("ETag " + response.etag() + " instead of " + validator);
        }
        if (!validator.startsWith("\"") && !validator.equals(response.lastModified())) {
            throw new MismatchException("Last-Modified " + response.lastModified() + " instead of " + validator);
        }
    }
}
