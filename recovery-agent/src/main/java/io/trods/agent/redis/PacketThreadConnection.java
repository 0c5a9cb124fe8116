package io.trods.agent.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.io.Closeable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * The packet thread's own Redis connection, with Lettuce's automatic flush off: the saves the
 * packet thread starts while it drains its queue are written together by one
 * {@link #flush}, as one TCP segment that Redis reads and answers at once. With the shared
 * connection every command was a task for Lettuce's I/O thread, a write of its own and a segment
 * of its own (measured: that thread and Redis took a quarter of the CPU under small responses).
 *
 * <p>Single-threaded: only the packet thread calls {@link #commands} and {@link #flush}. The
 * connection is opened on a thread of its own, never on the packet thread; until it is open (and
 * while it cannot be), {@link #commands} answers null and the caller uses the shared connection.
 */
final class PacketThreadConnection implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(PacketThreadConnection.class);

    private final AbstractRedisClient client;
    private volatile StatefulConnection<byte[], byte[]> connection;
    private volatile RedisClusterAsyncCommands<byte[], byte[]> commands;
    private volatile boolean closed;
    private final BackgroundOpener opener = new BackgroundOpener(this::open);
    private int unflushed;

    private PacketThreadConnection(AbstractRedisClient client) {
        this.client = client;
    }

    /** For a Lettuce factory (the only one Spring Boot builds for us); null for any other kind. */
    static PacketThreadConnection of(RedisConnectionFactory factory) {
        if (factory instanceof LettuceConnectionFactory lettuce) {
            AbstractRedisClient client = lettuce.getNativeClient();
            if (client instanceof RedisClient || client instanceof RedisClusterClient) {
                return new PacketThreadConnection(client);
            }
        }
        return null;
    }

    /**
     * The commands of the connection, for one command that the next {@link #flush} sends; null
     * when it is not open (a connection is then being opened in the background).
     */
    RedisClusterAsyncCommands<byte[], byte[]> commands() {
        RedisClusterAsyncCommands<byte[], byte[]> current = commands;
        if (current != null && connection.isOpen()) {
            unflushed++;
            return current;
        }
        openInBackground();
        return null;
    }

    /** Commands given out since the last flush. */
    int unflushed() {
        return unflushed;
    }

    /** Writes every command given out since the last flush. */
    void flush() {
        if (unflushed > 0) {
            unflushed = 0;
            StatefulConnection<byte[], byte[]> current = connection;
            if (current != null) {
                current.flushCommands();
            }
        }
    }

    private void openInBackground() {
        if (!closed) {
            opener.request();
        }
    }

    private void open() {
        try {
            StatefulConnection<byte[], byte[]> previous = connection;
            if (previous != null) {
                commands = null;
                previous.closeAsync();
            }
            StatefulConnection<byte[], byte[]> opened;
            RedisClusterAsyncCommands<byte[], byte[]> async;
            if (client instanceof RedisClusterClient cluster) {
                StatefulRedisClusterConnection<byte[], byte[]> c = cluster.connect(ByteArrayCodec.INSTANCE);
                opened = c;
                async = c.async();
            } else {
                StatefulRedisConnection<byte[], byte[]> c = ((RedisClient) client).connect(ByteArrayCodec.INSTANCE);
                opened = c;
                async = c.async();
            }
            opened.setAutoFlushCommands(false);
            connection = opened;
            commands = async;
            if (closed) {
                opened.closeAsync();
            }
            log.info("packet thread's Redis connection open");
        } catch (RuntimeException e) {
            log.warn("packet thread's Redis connection not open ({}); its commands use the shared one", e.getMessage());
        }
    }

    @Override
    public void close() {
        closed = true;
        StatefulConnection<byte[], byte[]> current = connection;
        commands = null;
        if (current != null) {
            current.close();
        }
    }
}
