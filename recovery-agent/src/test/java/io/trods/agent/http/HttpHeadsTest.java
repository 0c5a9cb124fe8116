package io.trods.agent.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HttpHeadsTest {

    /** A 200 exactly as the lab's stock nginx 1.22 sends it. */
    static final String NGINX_200 = "HTTP/1.1 200 OK\r\n"
            + "Server: nginx/1.22.1\r\n"
            + "Date: Thu, 26 Nov 2026 15:27:17 GMT\r\n"
            + "Content-Type: application/octet-stream\r\n"
            + "Content-Length: 1048576\r\n"
            + "Last-Modified: Thu, 26 Nov 2026 15:16:09 GMT\r\n"
            + "Connection: keep-alive\r\n"
            + "ETag: \"6b084d39-100000\"\r\n"
            + "X-Served-By: server2\r\n"
            + "Accept-Ranges: bytes\r\n"
            + "\r\n";

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static RequestHead request(String s) throws MalformedHttpException {
        byte[] b = bytes(s);
        return RequestHead.parse(b, 0, b.length);
    }

    static ResponseHead response(String s) throws MalformedHttpException {
        byte[] b = bytes(s);
        return ResponseHead.parse(b, 0, b.length);
    }

    @Test
    void parsesCurlsRequest() throws Exception {
        RequestHead head = request("GET /obj/64M.bin HTTP/1.1\r\nHost: 198.18.0.10\r\n"
                + "User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n");

        assertThat(head.method()).isEqualTo("GET");
        assertThat(head.target()).isEqualTo("/obj/64M.bin");
        assertThat(head.http11()).isTrue();
        assertThat(head.host()).isEqualTo("198.18.0.10");
        assertThat(head.range()).isNull();
        assertThat(head.keepAlive()).isTrue();
        assertThat(head.hasBody()).isFalse();
        assertThat(head.length()).isEqualTo(86); // every byte up to and including the blank line
    }

    @Test
    void findsTheEndOfAHeadInsideALargerBufferAndReportsIncompleteHeads() throws Exception {
        byte[] b = bytes("xxGET / HTTP/1.0\r\nRange: bytes=5-\r\n\r\nGET /next HTTP/1.0\r\n");

        RequestHead first = RequestHead.parse(b, 2, b.length);

        assertThat(first.length()).isEqualTo("GET / HTTP/1.0\r\nRange: bytes=5-\r\n\r\n".length());
        assertThat(first.range()).isEqualTo("bytes=5-");
        assertThat(first.keepAlive()).isFalse(); // HTTP/1.0 without keep-alive
        assertThat(RequestHead.parse(b, 2 + first.length(), b.length)).isNull(); // pipelined, incomplete
    }

    @Test
    void connectionTokensDecideKeepAlive() throws Exception {
        assertThat(request("GET / HTTP/1.1\r\nConnection: Close\r\n\r\n").keepAlive()).isFalse();
        assertThat(request("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keepAlive()).isTrue();
        assertThat(request("GET / HTTP/1.1\r\nConnection: upgrade, close\r\n\r\n").keepAlive()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GET / HTTP/2.0\r\n\r\n",
        "GET /\r\n\r\n",
        "GET  / HTTP/1.1\r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost : x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
        "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\u0000b\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\nb\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "\r\n\r\n",
    })
    void refusesMalformedRequests(String text) {
        assertThatThrownBy(() -> request(text)).isInstanceOf(MalformedHttpException.class);
    }

    @Test
    void refusesOversizedHeadsInsteadOfWaitingForever() {
        String big = "GET / HTTP/1.1\r\nX: " + "a".repeat(HttpHead.MAX_HEAD_BYTES) ;
        assertThatThrownBy(() -> request(big)).hasMessageContaining("over");
        String many = "GET / HTTP/1.1\r\n" + "X: 1\r\n".repeat(101) + "\r\n";
        assertThatThrownBy(() -> request(many)).hasMessageContaining("more than");
    }

    @Test
    void parsesNginxsResponseHead() throws Exception {
        ResponseHead head = response(NGINX_200 + "body bytes");

        assertThat(head.status()).isEqualTo(200);
        assertThat(head.contentLength()).isEqualTo(1048576);
        assertThat(head.etag()).isEqualTo("\"6b084d39-100000\"");
        assertThat(head.lastModified()).isEqualTo("Thu, 26 Nov 2026 15:16:09 GMT");
        assertThat(head.keepAlive()).isTrue();
        assertThat(head.length()).isEqualTo(NGINX_200.length());
        assertThat(head.contentRange()).isNull();
    }

    /** Field names match whatever their case; values lose the whitespace around them, and only that. */
    @Test
    void fieldNamesMatchInAnyCaseAndValuesAreTrimmedOfSpacesAndTabs() throws Exception {
        ResponseHead head = response("HTTP/1.1 200 OK\r\ncontent-LENGTH:\t 42 \t\r\nETAG:  \"a b\"\r\n\r\n");
        assertThat(head.contentLength()).isEqualTo(42);
        assertThat(head.etag()).isEqualTo("\"a b\"");
        RequestHead request = request("GET /x HTTP/1.1\r\nHOST: h\r\nrange: bytes=1-\r\n\r\n");
        assertThat(request.host()).isEqualTo("h");
        assertThat(request.range()).isEqualTo("bytes=1-");
        String hundred = "GET / HTTP/1.1\r\n" + "X: 1\r\n".repeat(100) + "\r\n";
        assertThat(request(hundred).length()).isEqualTo(hundred.length());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GET / HTTP/1.1\r\n: x\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\r\n\tfolded\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\u007F\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\r\r\n\r\n",
    })
    void refusesEmptyNamesBareCarriageReturnsAndFolding(String text) {
        assertThatThrownBy(() -> request(text)).isInstanceOf(MalformedHttpException.class);
    }

    @Test
    void parsesContentRanges() throws Exception {
        ResponseHead head = response("HTTP/1.1 206 Partial Content\r\nContent-Length: 100\r\n"
                + "Content-Range: bytes 100-199/1048576\r\n\r\n");
        assertThat(head.contentRange()).isEqualTo(new ContentRange(100, 199, 1048576));
        assertThat(head.contentRange().length()).isEqualTo(100);
        assertThat(response("HTTP/1.1 206 x\r\nContent-Range: bytes 0-0/*\r\n\r\n").contentRange().complete())
                .isEqualTo(-1);
        for (String bad : new String[] {"items 1-2/3", "bytes */100", "bytes 5-4/10", "bytes 0-10/10", "bytes a-b/c"}) {
            assertThatThrownBy(() -> response("HTTP/1.1 206 x\r\nContent-Range: " + bad + "\r\n\r\n"))
                    .as(bad).isInstanceOf(MalformedHttpException.class);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"HTTP/1.1 20 OK\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n", "HTTP/3 200 OK\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n", "garbage\r\n\r\n"})
    void refusesMalformedStatusLines(String text) {
        assertThatThrownBy(() -> response(text)).isInstanceOf(MalformedHttpException.class);
    }
}
