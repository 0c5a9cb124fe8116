package io.trods.agent.recovery;

import io.trods.agent.engine.RecoveryPlan;
import io.trods.agent.http.MalformedHttpException;
import io.trods.agent.http.RangeRecovery;
import io.trods.agent.http.ResponseHead;
import io.trods.agent.kernel.KernelCallException;
import io.trods.agent.kernel.RepairedConnection;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams the rest of a response into a recreated connection: the part of the saved head the client
 * lacks, then the object bytes fetched from the local, unmodified web server with a Range request
 * bound to the original validator. Nothing reaches the client before the answer's head has been
 * checked; on any doubt the client's connection is reset (BRIEF rule 2). A keep-alive connection
 * stays open afterwards and its next requests are relayed to the local server.
 */
public final class Splicer {

    /** Hears how each splice ended. */
    public interface Listener {
        void spliced(RecoveryPlan plan, long bytes, String outcome);
    }

    private static final Logger log = LoggerFactory.getLogger(Splicer.class);
    private static final int CHUNK = 64 * 1024;

    private final InetSocketAddress upstream;
    private final int connectTimeoutMillis;
    private final int readTimeoutMillis;
    private final Listener listener;

    public Splicer(InetSocketAddress upstream, int connectTimeoutMillis, int readTimeoutMillis, Listener listener) {
        this.upstream = upstream;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.readTimeoutMillis = readTimeoutMillis;
        this.listener = listener;
    }

    public void splice(RecoveryPlan plan, RepairedConnection client) {
        long sent = 0;
        try (Socket server = connect()) {
            OutputStream toServer = server.getOutputStream();
            toServer.write(RangeRecovery.request(plan.target(), plan.host(), plan.validator(), plan.first(), plan.last()));
            toServer.flush();
            InputStream fromServer = server.getInputStream();
            byte[] buffer = new byte[CHUNK];
            int filled = 0;
            ResponseHead head = null;
            while (head == null) {
                int n = fromServer.read(buffer, filled, buffer.length - filled);
                if (n < 0) {
                    throw new IOException("the local server closed before its response head was complete");
                }
                filled += n;
                head = ResponseHead.parse(buffer, 0, filled);
            }
            RangeRecovery.check(head, plan.validator(), plan.first(), plan.last(), plan.complete());
            client.write(plan.headToReplay());
            long remaining = plan.remaining();
            int bodyBytes = Math.min(filled - head.length(), (int) Math.min(remaining, Integer.MAX_VALUE));
            client.write(buffer, head.length(), bodyBytes);
            sent = bodyBytes;
            while (sent < remaining) {
                int n = fromServer.read(buffer, 0, (int) Math.min(buffer.length, remaining - sent));
                if (n < 0) {
                    throw new IOException("the local server ended " + (remaining - sent) + " bytes early");
                }
                client.write(buffer, 0, n);
                sent += n;
            }
        } catch (RangeRecovery.MismatchException | MalformedHttpException e) {
            log.warn("resetting {}: the local server's answer does not continue the object: {}",
                    plan.record().key(), e.getMessage());
            reset(client);
            listener.spliced(plan, sent, "mismatch");
            return;
        } catch (IOException e) {
            log.warn("resetting {} after {} bytes: {}", plan.record().key(), sent, e.getMessage());
            reset(client);
            listener.spliced(plan, sent, "error");
            return;
        }
        listener.spliced(plan, sent, "complete");
        if (keepAlive(plan)) {
            new Relay(upstream, connectTimeoutMillis, readTimeoutMillis).serve(client);
        } else {
            closeQuietly(client);
        }
    }

    /** Serves a connection recovered before its request was answered: its requests, relayed. */
    public void serveRequests(RepairedConnection client) {
        new Relay(upstream, connectTimeoutMillis, readTimeoutMillis).serve(client);
    }

    private static boolean keepAlive(RecoveryPlan plan) {
        try {
            ResponseHead original = ResponseHead.parse(plan.record().responseHead(), 0, plan.record().responseHead().length);
            return original != null && original.keepAlive();
        } catch (MalformedHttpException e) {
            return false;
        }
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(upstream, connectTimeoutMillis);
        socket.setSoTimeout(readTimeoutMillis);
        return socket;
    }

    static void reset(RepairedConnection client) {
        try {
            client.reset();
        } catch (KernelCallException e) {
            log.warn("reset failed: {}", e.getMessage());
        }
    }

    static void closeQuietly(RepairedConnection client) {
        try {
            client.close();
        } catch (KernelCallException e) {
            log.debug("close failed: {}", e.getMessage());
        }
    }
}
