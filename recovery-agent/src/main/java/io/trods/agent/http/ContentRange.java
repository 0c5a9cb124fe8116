package io.trods.agent.http;

/**
 * A Content-Range of a single-part 206 response: "bytes first-last/complete" (RFC 9110 14.4).
 *
 * @param first the first byte position
 * @param last the last byte position, inclusive
 * @param complete the complete length, -1 if the server sent "*"
 */
public record ContentRange(long first, long last, long complete) {

    public long length() {
        return last - first + 1;
    }

    static ContentRange parse(String value) throws MalformedHttpException {
        if (!value.startsWith("bytes ")) {
            throw new MalformedHttpException("a Content-Range in a unit other than bytes");
        }
        String spec = value.substring(6).strip();
        int dash = spec.indexOf('-');
        int slash = spec.indexOf('/');
        if (dash <= 0 || slash < dash) {
            throw new MalformedHttpException("an unsatisfied or malformed Content-Range");
        }
        long first = Tokens.parseLength(spec.substring(0, dash));
        long last = Tokens.parseLength(spec.substring(dash + 1, slash));
        String completeText = spec.substring(slash + 1);
        long complete = completeText.equals("*") ? -1 : Tokens.parseLength(completeText);
        if (first < 0 || last < first || !completeText.equals("*") && (complete < 0 || last >= complete)) {
            throw new MalformedHttpException("an invalid Content-Range");
        }
        return new ContentRange(first, last, complete);
    }
}
