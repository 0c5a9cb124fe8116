package io.trods.agent.http;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * Decides whether a response can be resumed by a Range request on another server, and with which
 * validator (BRIEF rule 6: only protect what can be recovered). Everything else passes untouched.
 */
public final class Recoverability {

    /** Why a response is left unprotected; each one is counted in the metrics. */
    public enum Reason {
        METHOD_NOT_GET,
        TARGET_NOT_ORIGIN_FORM,
        REQUEST_HAS_BODY,
        MULTIPLE_RANGES,
        STATUS,
        NO_CONTENT_LENGTH,
        TRANSFER_ENCODED,
        CONTENT_ENCODED,
        MULTIPART,
        NO_STRONG_VALIDATOR,
        EMPTY_BODY,
    }

    /**
     * The verdict on one response.
     *
     * @param reason null when protected, otherwise why not
     * @param validator the If-Range value that proves a continuation is the same version
     * @param first the object's byte position of the response's first body byte (0 for a 200)
     * @param last the object's byte position of the response's last body byte, inclusive
     */
    public record Verdict(Reason reason, String validator, long first, long last) {

        public boolean protectable() {
            return reason == null;
        }

        static Verdict no(Reason reason) {
            return new Verdict(reason, null, -1, -1);
        }
    }

    private Recoverability() {
    }

    /** What can be told from the request alone: null if its response may be protectable. */
    public static Reason requestReason(RequestHead request) {
        if (!request.method().equals("GET")) {
            return Reason.METHOD_NOT_GET; // HEAD has no body; others are not object delivery
        }
        if (!request.target().startsWith("/")) {
            return Reason.TARGET_NOT_ORIGIN_FORM;
        }
        if (request.hasBody()) {
            return Reason.REQUEST_HAS_BODY;
        }
        if (request.range() != null && request.range().indexOf(',') >= 0) {
            return Reason.MULTIPLE_RANGES;
        }
        return null;
    }

    public static Verdict assess(RequestHead request, ResponseHead response) {
        Reason requestReason = requestReason(request);
        if (requestReason != null) {
            return Verdict.no(requestReason);
        }
        if (response.status() != 200 && response.status() != 206) {
            return Verdict.no(Reason.STATUS);
        }
        if (response.transferEncoding() != null) {
            return Verdict.no(Reason.TRANSFER_ENCODED);
        }
        if (response.contentEncoding() != null && !response.contentEncoding().equalsIgnoreCase("identity")) {
            return Verdict.no(Reason.CONTENT_ENCODED);
        }
        if (response.contentType() != null && response.contentType().regionMatches(true, 0, "multipart/", 0, 10)) {
            return Verdict.no(Reason.MULTIPART);
        }
        if (response.contentLength() < 0) {
            return Verdict.no(Reason.NO_CONTENT_LENGTH);
        }
        if (response.contentLength() == 0) {
            return Verdict.no(Reason.EMPTY_BODY);
        }
        long first = 0;
        long last = response.contentLength() - 1;
        if (response.status() == 206) {
            ContentRange range = response.contentRange();
            if (range == null || range.length() != response.contentLength()) {
                return Verdict.no(Reason.MULTIPART); // a 206 without a matching single range
            }
            first = range.first();
            last = range.last();
        }
        String validator = strongValidator(response);
        if (validator == null) {
            return Verdict.no(Reason.NO_STRONG_VALIDATOR);
        }
        return new Verdict(null, validator, first, last);
    }

    /**
     * A strong ETag, or else a Last-Modified date that is strong by RFC 9110 13.1.3's rule (at least
     * one second before the response's Date); null when neither holds.
     */
    static String strongValidator(ResponseHead response) {
        String etag = response.etag();
        if (etag != null && etag.length() >= 2 && etag.startsWith("\"") && etag.endsWith("\"")) {
            return etag;
        }
        if (response.lastModified() != null && response.date() != null) {
            try {
                ZonedDateTime modified = ZonedDateTime.parse(response.lastModified(), DateTimeFormatter.RFC_1123_DATE_TIME);
                ZonedDateTime date = ZonedDateTime.parse(response.date(), DateTimeFormatter.RFC_1123_DATE_TIME);
                if (!modified.plusSeconds(1).isAfter(date)) {
                    return response.lastModified();
                }
            } catch (DateTimeParseException e) {
                return null;
            }
        }
        return null;
    }
}
