package io.trods.monitor.probe;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A raw {@code GET path HTTP/1.1} with {@code Connection: close} over a fresh socket: no pooled
 * connection can answer for a dead server. One timeout bounds the handshake, another the status
 * line from the moment the request is out (as HAProxy's connect and check timeouts); only a
 * strictly valid status line with the expected code counts. A crash-stopped server fails the
 * handshake, which its kernel would have completed: that bound is short, for a fast failover. A
 * server that completed the handshake is alive; its answer gets longer, because a web server's
 * worker waiting for the CPU is not a failure. Measured on the loaded 2-core lab (50 downloads
 * starting, 2,616 probes, the prober's own scheduling delays included): answers took up to 130 ms
 * (27 over 20 ms), handshakes up to 80 ms (6 over 20 ms); every false failure of the monitors was
 * an answer's, and one 150 ms bound on both took live servers out.
 */
public final class HttpProbe implements Probe {

    private static final int MAX_STATUS_LINE = 512;
    /** The read timeout once the deadline has passed: enough to take what the kernel holds. */
    private static final int LAST_LOOK_MILLIS = 1;

    private final String path;
    private final int expectStatus;
    private final int connectTimeoutMillis;
    private final int answerTimeoutMillis;
    private final java.util.function.LongSupplier nanoClock;

    public HttpProbe(String path, int expectStatus, int connectTimeoutMillis, int answerTimeoutMillis) {
        this(path, expectStatus, connectTimeoutMillis, answerTimeoutMillis, System::nanoTime);
    }

    /** @param nanoClock the deadline's clock (tests make it jump, as a descheduled thread sees it) */
    HttpProbe(String path, int expectStatus, int connectTimeoutMillis, int answerTimeoutMillis,
            java.util.function.LongSupplier nanoClock) {
        this.path = path;
        this.expectStatus = expectStatus;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.answerTimeoutMillis = answerTimeoutMillis;
        this.nanoClock = nanoClock;
    }

    @Override
    public ProbeResult check(ServerEndpoint endpoint) {
        long start = System.nanoTime();
        try (Socket socket = new Socket()) {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(endpoint.address(), endpoint.port()), connectTimeoutMillis);
            OutputStream out = socket.getOutputStream();
            out.write(request(endpoint).getBytes(StandardCharsets.US_ASCII));
            out.flush();
            // The answer's time starts once the request is out: a monitor thread that waited for
            // the CPU between the handshake and the write has not given the server any time yet.
            long deadline = nanoClock.getAsLong() + answerTimeoutMillis * 1_000_000L;
            String statusLine = readStatusLine(socket, deadline, nanoClock);
            int status = parseStatus(statusLine);
            if (status < 0) {
                return TcpProbe.result(ProbeOutcome.BAD_RESPONSE, start, "invalid status line '" + printable(statusLine) + "'");
            }
            if (status != expectStatus) {
                return TcpProbe.result(ProbeOutcome.BAD_RESPONSE, start, "status " + status + ", expected " + expectStatus);
            }
            return TcpProbe.result(ProbeOutcome.SUCCESS, start, "");
        } catch (IOException e) {
            return TcpProbe.failure(e, start, connectTimeoutMillis, answerTimeoutMillis);
        }
    }

    private String request(ServerEndpoint endpoint) {
        return "GET " + path + " HTTP/1.1\r\nHost: " + endpoint.address() + ":" + endpoint.port()
                + "\r\nUser-Agent: trods-liveness-monitor\r\nConnection: close\r\n\r\n";
    }

    /**
     * Reads up to CRLF, re-arming the read timeout with what is left of the deadline. A deadline
     * already past still gets one short read: a monitor whose thread was not scheduled for a while
     * (a loaded host) must look at the answer that arrived meanwhile before calling the server
     * dead. Measured on a loaded 2-core lab: 150 ms "no answer" failures took live servers out,
     * while curl from the same host saw every answer within 26 ms.
     */
    private static String readStatusLine(Socket socket, long deadlineNanos, java.util.function.LongSupplier nanoClock)
            throws IOException {
        InputStream in = socket.getInputStream();
        StringBuilder line = new StringBuilder();
        while (line.length() < MAX_STATUS_LINE) {
            long left = (deadlineNanos - nanoClock.getAsLong()) / 1_000_000;
            socket.setSoTimeout((int) Math.max(left, LAST_LOOK_MILLIS));
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed before a status line");
            }
            if (b == '\n') {
                int end = line.length();
                return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line + "\n";
            }
            line.append((char) b);
        }
        return line.toString();
    }

    /** {@code HTTP/1.x SP 3DIGIT SP reason} (reason may be empty); -1 when anything else. */
    static int parseStatus(String line) {
        if (line.length() < 12 || !(line.startsWith("HTTP/1.1 ") || line.startsWith("HTTP/1.0 "))) {
            return -1;
        }
        for (int i = 9; i < 12; i++) {
            if (!Character.isDigit(line.charAt(i)) || line.charAt(i) > '9') {
                return -1;
            }
        }
        if (line.length() > 12 && line.charAt(12) != ' ') {
            return -1;
        }
        for (int i = 13; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c != '\t' && (c < 32 || c == 127)) {
                return -1;
            }
        }
        int status = Integer.parseInt(line.substring(9, 12));
        return status >= 100 ? status : -1;
    }

    private static String printable(String s) {
        String cut = s.length() > 40 ? s.substring(0, 40) + "..." : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
