package io.trods.agent.recovery;

import io.trods.agent.http.MalformedHttpException;
import io.trods.agent.http.RequestHead;
import io.trods.agent.http.ResponseHead;
import io.trods.agent.kernel.RepairedConnection;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * Serves the later requests of a keep-alive connection that this agent recovered (the web server
 * never saw the connection, so the agent carries it): each request goes to the local web server on
 * a connection of its own and the response comes back as it is. Only responses whose end is known
 * from their head (Content-Length, or no body) are relayed; anything else ends the connection the
 * way a server may, with a FIN before the next request. Responses relayed here are protected by the
 * normal path like any other: the segments leave this host from port 80.
 */
final class Relay {

    private static final int MAX_HEAD = 16 * 1024;

    private final InetSocketAddress upstream;
    private final int connectTimeoutMillis;
    private final int readTimeoutMillis;

    Relay(InetSocketAddress upstream, int connectTimeoutMillis, int readTimeoutMillis) {
        this.upstream = upstream;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.readTimeoutMillis = readTimeoutMillis;
    }

    void serve(RepairedConnection client) {
        byte[] request = new byte[MAX_HEAD];
        int filled = 0;
        try {
            while (true) {
                RequestHead head = RequestHead.parse(request, 0, filled);
                if (head == null) {
                    int n = client.read(request, filled, request.length - filled);
                    if (n < 0) {
                        break; // the client closed
                    }
                    filled += n;
                    continue;
                }
                if (head.hasBody() || !relay(client, request, head.length(), head.method().equals("HEAD"))
                        || !head.keepAlive()) {
                    break;
                }
                System.arraycopy(request, head.length(), request, 0, filled - head.length());
                filled -= head.length();
            }
        } catch (MalformedHttpException | IOException e) {
            // a malformed request or a failed relay ends the connection, as a server would
        }
        Splicer.closeQuietly(client);
    }

    /** Relays one request; false if the connection cannot go on after it. */
    private boolean relay(RepairedConnection client, byte[] request, int length, boolean head)
            throws IOException, MalformedHttpException {
        try (Socket server = new Socket()) {
            server.connect(upstream, connectTimeoutMillis);
            server.setSoTimeout(readTimeoutMillis);
            server.getOutputStream().write(request, 0, length);
            InputStream in = server.getInputStream();
            byte[] buffer = new byte[64 * 1024];
            int filled = 0;
            ResponseHead response = null;
            while (response == null) {
                int n = in.read(buffer, filled, buffer.length - filled);
                if (n < 0) {
                    return false;
                }
                filled += n;
                response = ResponseHead.parse(buffer, 0, filled);
            }
            long body = head || response.status() == 304 || response.status() == 204 ? 0 : response.contentLength();
            if (body < 0) {
                return false; // chunked or close-delimited: its end cannot be relayed faithfully
            }
            long total = response.length() + body;
            long sent = Math.min(filled, total);
            client.write(buffer, 0, (int) sent);
            while (sent < total) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, total - sent));
                if (n < 0) {
                    return false;
                }
                client.write(buffer, 0, n);
                sent += n;
            }
            return response.keepAlive();
        }
    }
}
