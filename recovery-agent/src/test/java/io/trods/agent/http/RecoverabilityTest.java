package io.trods.agent.http;

import static io.trods.agent.http.HttpHeadsTest.request;
import static io.trods.agent.http.HttpHeadsTest.response;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.trods.agent.http.Recoverability.Reason;
import io.trods.agent.http.Recoverability.Verdict;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class RecoverabilityTest {

    private static final String GET = "GET /obj/1M.bin HTTP/1.1\r\nHost: v\r\n\r\n";
    private static final String OK = HttpHeadsTest.NGINX_200;

    static Stream<Arguments> cases() {
        return Stream.of(
            // request, response, expected reason (null = protected)
            Arguments.of("plain GET of a static object", GET, OK, null),
            Arguments.of("HEAD", "HEAD /obj/1M.bin HTTP/1.1\r\n\r\n", OK, Reason.METHOD_NOT_GET),
            Arguments.of("POST", "POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\n", OK, Reason.METHOD_NOT_GET),
            Arguments.of("absolute-form target", "GET http://v/x HTTP/1.1\r\n\r\n", OK, Reason.TARGET_NOT_ORIGIN_FORM),
            Arguments.of("GET with a body", "GET /x HTTP/1.1\r\nContent-Length: 5\r\n\r\n", OK, Reason.REQUEST_HAS_BODY),
            Arguments.of("several ranges", "GET /x HTTP/1.1\r\nRange: bytes=0-1,5-9\r\n\r\n",
                "HTTP/1.1 206 Partial Content\r\nContent-Type: multipart/byteranges; boundary=1\r\n"
                    + "Content-Length: 239\r\nETag: \"a\"\r\n\r\n", Reason.MULTIPLE_RANGES),
            Arguments.of("304", GET, "HTTP/1.1 304 Not Modified\r\nETag: \"a\"\r\n\r\n", Reason.STATUS),
            Arguments.of("404", GET, "HTTP/1.1 404 Not Found\r\nContent-Length: 153\r\n\r\n", Reason.STATUS),
            Arguments.of("chunked", GET, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nETag: \"a\"\r\n\r\n",
                Reason.TRANSFER_ENCODED),
            Arguments.of("gzip on the fly", GET, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 9\r\n"
                + "ETag: W/\"a\"\r\n\r\n", Reason.CONTENT_ENCODED),
            Arguments.of("identity encoding", GET, "HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\n"
                + "Content-Length: 9\r\nETag: \"a\"\r\n\r\n", null),
            Arguments.of("no length", GET, "HTTP/1.1 200 OK\r\nETag: \"a\"\r\nConnection: close\r\n\r\n",
                Reason.NO_CONTENT_LENGTH),
            Arguments.of("empty body", GET, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nETag: \"a\"\r\n\r\n",
                Reason.EMPTY_BODY),
            Arguments.of("weak ETag only", GET, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nETag: W/\"a\"\r\n\r\n",
                Reason.NO_STRONG_VALIDATOR),
            Arguments.of("Last-Modified as old as Date", GET, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n"
                + "Date: Thu, 26 Nov 2026 15:16:09 GMT\r\nLast-Modified: Thu, 26 Nov 2026 15:16:09 GMT\r\n\r\n",
                Reason.NO_STRONG_VALIDATOR),
            Arguments.of("Last-Modified a second before Date", GET, "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n"
                + "Date: Thu, 26 Nov 2026 15:16:10 GMT\r\nLast-Modified: Thu, 26 Nov 2026 15:16:09 GMT\r\n\r\n", null),
            Arguments.of("206 without Content-Range", GET, "HTTP/1.1 206 x\r\nContent-Length: 9\r\nETag: \"a\"\r\n\r\n",
                Reason.MULTIPART));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void decides(String name, String req, String resp, Reason expected) throws Exception {
        Verdict verdict = Recoverability.assess(request(req), response(resp));
        assertThat(verdict.reason()).isEqualTo(expected);
        assertThat(verdict.protectable()).isEqualTo(expected == null);
    }

    @Test
    void aRangeResponseMapsItsBodyToTheObjectsBytes() throws Exception {
        Verdict verdict = Recoverability.assess(request("GET /o HTTP/1.1\r\nRange: bytes=-50\r\n\r\n"),
                response("HTTP/1.1 206 Partial Content\r\nContent-Length: 50\r\nETag: \"e\"\r\n"
                        + "Content-Range: bytes 1048526-1048575/1048576\r\n\r\n"));
        assertThat(verdict.protectable()).isTrue();
        assertThat(verdict.first()).isEqualTo(1048526);
        assertThat(verdict.last()).isEqualTo(1048575);
        assertThat(verdict.validator()).isEqualTo("\"e\"");
    }

    @Test
    void theRecoveryRequestAsksForTheRestWithTheValidator() {
        String text = new String(RangeRecovery.request("/obj/64M.bin", "198.18.0.10", "\"6b-4\"", 1000, 67108863),
                StandardCharsets.ISO_8859_1);
        assertThat(text).isEqualTo("GET /obj/64M.bin HTTP/1.1\r\nHost: 198.18.0.10\r\n"
                + "Range: bytes=1000-67108863\r\nIf-Range: \"6b-4\"\r\nConnection: close\r\n\r\n");
    }

    @Test
    void onlyTheExactContinuationIsAccepted() throws Exception {
        String ok = "HTTP/1.1 206 Partial Content\r\nContent-Length: 9000\r\nETag: \"e\"\r\n"
                + "Content-Range: bytes 1000-9999/10000\r\n\r\n";
        RangeRecovery.check(response(ok), "\"e\"", 1000, 9999, 10000);

        String[][] refused = {
            {"HTTP/1.1 200 OK\r\nContent-Length: 10000\r\nETag: \"f\"\r\n\r\n", "status 200"},
            {ok.replace("\"e\"", "\"f\""), "ETag"},
            {ok.replace("1000-9999", "1001-9999").replace("9000", "8999"), "Content-Range"},
            {ok.replace("/10000", "/20000"), "complete length"},
            {ok.replace("9000", "8000"), "Content-Length"},
            {ok.replace("\r\n\r\n", "\r\nContent-Encoding: gzip\r\n\r\n"), "encoded"},
        };
        for (String[] c : refused) {
            assertThatThrownBy(() -> RangeRecovery.check(response(c[0]), "\"e\"", 1000, 9999, 10000))
                    .isInstanceOf(RangeRecovery.MismatchException.class).hasMessageContaining(c[1]);
        }
        String byDate = "HTTP/1.1 206 x\r\nContent-Length: 1\r\nLast-Modified: Mon, 02 Nov 2026 10:00:00 GMT\r\n"
                + "Content-Range: bytes 5-5/6\r\n\r\n";
        RangeRecovery.check(response(byDate), "Mon, 02 Nov 2026 10:00:00 GMT", 5, 5, 6);
        assertThatThrownBy(() -> RangeRecovery.check(response(byDate), "Tue, 03 Nov 2026 10:00:00 GMT", 5, 5, 6))
                .hasMessageContaining("Last-Modified");
    }
}
