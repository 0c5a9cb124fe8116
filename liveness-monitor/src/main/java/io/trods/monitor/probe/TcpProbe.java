package io.trods.monitor.probe;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;

/** Alive means the TCP handshake completes within the timeout. */
public final class TcpProbe implements Probe {

    private final int timeoutMillis;

    public TcpProbe(int timeoutMillis) {
        this.timeoutMillis = timeoutMillis;
    }

    @Override
    public ProbeResult check(ServerEndpoint endpoint) {
        long start = System.nanoTime();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(endpoint.address(), endpoint.port()), timeoutMillis);
            return result(ProbeOutcome.SUCCESS, start, "");
        } catch (IOException e) {
            return failure(e, start, timeoutMillis, timeoutMillis);
        }
    }

    static ProbeResult failure(IOException e, long startNanos, int connectTimeoutMillis, int answerTimeoutMillis) {
        if (e instanceof SocketTimeoutException) {
            // Socket.connect says "Connect timed out"; a read that times out says "Read timed out" or ours.
            boolean connecting = String.valueOf(e.getMessage()).toLowerCase().contains("connect");
            return result(ProbeOutcome.TIMEOUT, startNanos, connecting ? "connect timed out after " + connectTimeoutMillis
                    + " ms" : "no answer after " + answerTimeoutMillis + " ms");
        }
        if (e instanceof ConnectException) {
            return result(ProbeOutcome.REFUSED, startNanos, "connection refused");
        }
        if (e instanceof java.net.SocketException && String.valueOf(e.getMessage()).contains("reset")) {
            return result(ProbeOutcome.REFUSED, startNanos, "connection reset");
        }
        return result(ProbeOutcome.ERROR, startNanos, e.toString());
    }

    static ProbeResult result(ProbeOutcome outcome, long startNanos, String detail) {
        return new ProbeResult(outcome, (System.nanoTime() - startNanos) / 1_000, detail, System.currentTimeMillis());
    }
}
