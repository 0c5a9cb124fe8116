package io.trods.agent.redis;

import io.trods.agent.flow.FlowKey;
import io.trods.agent.flow.FlowRecord;
import io.trods.agent.flow.FlowRecordCodec;
import io.trods.agent.flow.FlowStore;
import io.trods.agent.flow.StoreUnavailableException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.util.concurrent.TimeUnit;
import org.springframework.dao.DataAccessException;
import org.springframework.dao.InvalidDataAccessApiUsageException;
import org.springframework.dao.QueryTimeoutException;
import org.springframework.data.redis.RedisSystemException;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.core.RedisTemplate;
import org.springframework.data.redis.serializer.RedisSerializer;

/**
 * Flow records in Redis: one key per flow ({@link FlowKey#storageKey()}) holding the binary record,
 * and one set per server listing its flows. A save is one round trip (SET with expiry, SADD,
 * PEXPIRE of the set, sent back to back): the packet thread's on its own connection, in batches
 * ({@link PacketThreadConnection}); everything else on the shared one. The expiry is the backstop
 * that removes what a crashed agent could not.
 * Keys of one save may live on different nodes of a Redis Cluster, so nothing here needs them in
 * one slot.
 */
public final class RedisFlowStore implements FlowStore, java.io.Closeable {

    private final RedisTemplate<byte[], byte[]> redis;
    private final RedisConnectionFactory connections;
    private final Duration ttl;
    private final Duration timeout;
    /** Replicas that must acknowledge a save before it counts (WAIT); 0: the primary's answer. */
    private final int saveReplicas;
    /**
     * The shared connection's asynchronous commands, looked up once: looking them up per command
     * built a connection wrapper each time (Spring's LettuceConnection and its command helpers),
     * for every save and lookup.
     */
    private volatile RedisClusterAsyncCommands<byte[], byte[]> shared;
    /** The packet thread's saves, written in batches; null for a non-Lettuce factory. */
    private final PacketThreadConnection packetThread;
    /** The packet thread's saves on a socket it drives itself; null where that is not possible. */
    private final DirectSaveConnection direct;

    public RedisFlowStore(RedisConnectionFactory connections, Duration ttl) {
        this(connections, ttl, Duration.ofMillis(200));
    }

    /** @param timeout how long a save may take before the flow is left unprotected */
    public RedisFlowStore(RedisConnectionFactory connections, Duration ttl, Duration timeout) {
        this(connections, ttl, timeout, true);
    }

    /**
     * @param timeout how long a save may take before the flow is left unprotected
     * @param directSaves whether the packet thread sends its saves on a socket it drives itself
     *     ({@link DirectSaveConnection}, for one Redis server over plain TCP) rather than through
     *     Lettuce's I/O thread
     */
    public RedisFlowStore(RedisConnectionFactory connections, Duration ttl, Duration timeout, boolean directSaves) {
        this(connections, ttl, timeout, directSaves, 0);
    }

    /**
     * @param saveReplicas replicas that must acknowledge a save (Redis {@code WAIT}) before its
     *     response may leave; 0: the primary's answer is enough. A save they do not acknowledge
     *     within the timeout fails, and its response passes unprotected.
     */
    public RedisFlowStore(RedisConnectionFactory connections, Duration ttl, Duration timeout, boolean directSaves,
            int saveReplicas) {
        if (saveReplicas < 0) {
            throw new IllegalArgumentException("saveReplicas must be 0 or more, got " + saveReplicas);
        }
        this.saveReplicas = saveReplicas;
        this.connections = connections;
        this.timeout = timeout;
        RedisTemplate<byte[], byte[]> template = new RedisTemplate<>();
        template.setConnectionFactory(connections);
        template.setKeySerializer(RedisSerializer.byteArray());
        template.setValueSerializer(RedisSerializer.byteArray());
        template.setHashKeySerializer(RedisSerializer.byteArray());
        template.setHashValueSerializer(RedisSerializer.byteArray());
        template.afterPropertiesSet();
        this.redis = template;
        this.ttl = ttl;
        this.direct = directSaves ? DirectSaveConnection.of(connections, timeout, timeout.multipliedBy(5), saveReplicas)
                : null;
        this.packetThread = direct == null ? PacketThreadConnection.of(connections) : null;
    }

    static byte[] indexKey(String server) {
        return ("trods:server:" + server + ":flows").getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] key(FlowKey key) {
        return key.storageKey().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void save(FlowRecord record) {
        byte[] key = key(record.key());
        byte[] value = FlowRecordCodec.encode(record);
        byte[] index = indexKey(record.server());
        pipeline("save " + record.key(), redis -> List.of(
                redis.set(key, value, SetArgs.Builder.px(ttl.toMillis())),
                redis.sadd(index, key),
                redis.pexpire(index, ttl.toMillis())));
    }

    /**
     * The shared connection's commands; looked up again once that connection is closed (Lettuce
     * reconnects an open one by itself, behind the same object).
     */
    @SuppressWarnings("unchecked")
    private RedisClusterAsyncCommands<byte[], byte[]> shared() {
        RedisClusterAsyncCommands<byte[], byte[]> current = shared;
        if (current == null || !current.isOpen()) {
            try (RedisConnection connection = connections.getConnection()) {
                current = (RedisClusterAsyncCommands<byte[], byte[]>) connection.getNativeConnection();
            }
            shared = current;
        }
        return current;
    }

    /**
     * The packet thread's connection for one asynchronous command, sent by the next {@link #flush};
     * the shared connection (sent at once) while that one is not open.
     */
    private RedisClusterAsyncCommands<byte[], byte[]> batched() {
        RedisClusterAsyncCommands<byte[], byte[]> commands = packetThread == null ? null : packetThread.commands();
        return commands != null ? commands : shared();
    }

    @Override
    public void connectAhead() {
        if (direct != null) {
            direct.connectAhead();
        }
    }

    @Override
    public int unflushed() {
        return (packetThread == null ? 0 : packetThread.unflushed()) + (direct == null ? 0 : direct.unflushed());
    }

    @Override
    public void flush() {
        if (packetThread != null) {
            packetThread.flush();
        }
        if (direct != null) {
            direct.flush();
        }
    }

    @Override
    public int answerFd() {
        return direct == null ? -1 : direct.fd();
    }

    @Override
    public boolean awaitingAnswers() {
        return direct != null && direct.awaitingAnswers();
    }

    @Override
    public void readAnswers() {
        if (direct != null) {
            direct.readAnswers();
        }
    }

    @Override
    public java.util.concurrent.CompletableFuture<Void> queueHandshake(FlowRecord record) {
        if (direct == null || !direct.ready()) {
            return null;
        }
        return direct.saveIfAbsent(key(record.key()), FlowRecordCodec.encode(record), ttl.toMillis(),
                indexKey(record.server()));
    }

    @Override
    public java.util.concurrent.CompletableFuture<Void> queueRemoval(FlowKey flow, String server, boolean afterReset) {
        if (direct == null || !direct.ready()) {
            return null;
        }
        return direct.remove(key(flow), indexKey(server), serverMark(server), afterReset);
    }

    @Override
    public void close() {
        if (packetThread != null) {
            packetThread.close();
        }
        if (direct != null) {
            direct.close();
        }
    }

    /**
     * The same three commands as {@link #save}, batched on the packet thread's connection:
     * saves of many flows go out together at the next {@link #flush}, and the packet thread never
     * waits for Redis. Bounded by the same timeout, which starts now.
     */
    @Override
    public java.util.concurrent.CompletableFuture<Void> saveAsync(FlowRecord record) {
        return saveAsync(record, false);
    }

    /** With {@code indexed}, the SET alone: the flow's index entry was written by an earlier save. */
    @Override
    public java.util.concurrent.CompletableFuture<Void> saveAsync(FlowRecord record, boolean indexed) {
        byte[] key = key(record.key());
        byte[] value = FlowRecordCodec.encode(record);
        byte[] index = indexKey(record.server());
        try {
            java.util.concurrent.CompletableFuture<?> written = direct != null && direct.ready()
                    ? direct.save(key, value, ttl.toMillis(), indexed ? null : index) : null;
            if (written == null) {
                written = lettuceSave(key, value, index, indexed).orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } // else the direct connection enforces the timeout itself
            return written
                    .handle((done, failure) -> {
                        if (failure != null) { // the message is built only when it is needed
                            throw new StoreUnavailableException("Redis: save " + record.key() + " failed: " + failure,
                                    failure);
                        }
                        return null;
                    });
        } catch (DataAccessException | IllegalStateException | io.lettuce.core.RedisException e) {
            return java.util.concurrent.CompletableFuture.failedFuture(
                    new StoreUnavailableException("Redis: save " + record.key() + " failed: " + e.getMessage(), e));
        }
    }

    /** The same commands batched on Lettuce's connection of the packet thread, or the shared one. */
    private java.util.concurrent.CompletableFuture<?> lettuceSave(byte[] key, byte[] value, byte[] index,
            boolean indexed) {
        RedisClusterAsyncCommands<byte[], byte[]> async = batched();
        java.util.concurrent.CompletableFuture<?> written = indexed
                ? async.set(key, value, SetArgs.Builder.px(ttl.toMillis())).toCompletableFuture()
                : java.util.concurrent.CompletableFuture.allOf(
                        async.set(key, value, SetArgs.Builder.px(ttl.toMillis())).toCompletableFuture(),
                        async.sadd(index, key).toCompletableFuture(),
                        async.pexpire(index, ttl.toMillis()).toCompletableFuture());
        if (saveReplicas == 0) {
            return written;
        }
        // One WAIT per save here (the direct connection waits once per batch).
        java.util.concurrent.CompletableFuture<Long> replicated = async
                .waitForReplication(saveReplicas, DirectSaveConnection.replicaWaitMillis(timeout.toMillis()))
                .toCompletableFuture();
        return written.thenCombine(replicated, (done, count) -> {
            if (count == null || count < saveReplicas) {
                throw new java.util.concurrent.CompletionException(new IllegalStateException(
                        "the save reached " + count + " of " + saveReplicas + " replicas in time"));
            }
            return null;
        });
    }

    @Override
    public void saveIfAbsent(FlowRecord record) {
        pipeline("save " + record.key() + " if absent", redis -> {
            List<RedisFuture<?>> futures = new ArrayList<>(3);
            handshakeCommands(redis, record, futures);
            return futures;
        });
    }

    /** SET NX of a handshake's record, and its index entry. */
    private void handshakeCommands(RedisClusterAsyncCommands<byte[], byte[]> redis, FlowRecord record,
            List<RedisFuture<?>> into) {
        byte[] key = key(record.key());
        byte[] index = indexKey(record.server());
        into.add(redis.set(key, FlowRecordCodec.encode(record), SetArgs.Builder.px(ttl.toMillis()).nx()));
        into.add(redis.sadd(index, key));
        into.add(redis.pexpire(index, ttl.toMillis()));
    }

    /** The record's removal while it names {@code server} ({@link RecordRelease}), and SREM of its index entry. */
    private void removalCommands(RedisClusterAsyncCommands<byte[], byte[]> redis, FlowKey flow, String server,
            boolean afterReset, List<RedisFuture<?>> into) {
        byte[] key = key(flow);
        into.add(redis.eval(RecordRelease.SCRIPT, io.lettuce.core.ScriptOutputType.INTEGER, new byte[][] {key},
                RecordRelease.OFFSET, serverMark(server), RecordRelease.grace(afterReset)));
        into.add(redis.srem(indexKey(server), key));
    }

    @Override
    public void upkeep(List<io.trods.agent.flow.Upkeep> work) {
        pipeline("upkeep of " + work.size() + " flows", redis -> {
            List<RedisFuture<?>> futures = new ArrayList<>(work.size() * 3);
            for (io.trods.agent.flow.Upkeep u : work) {
                if (u.handshake() != null) {
                    handshakeCommands(redis, u.handshake(), futures);
                } else {
                    removalCommands(redis, u.removed(), u.server(), u.afterReset(), futures);
                }
            }
            return futures;
        });
    }

    @Override
    public void moved(FlowRecord record, String previousServer) {
        byte[] key = key(record.key());
        byte[] value = FlowRecordCodec.encode(record);
        byte[] index = indexKey(record.server());
        pipeline("move " + record.key(), redis -> List.of(
                redis.set(key, value, SetArgs.Builder.px(ttl.toMillis())),
                redis.sadd(index, key),
                redis.pexpire(index, ttl.toMillis()),
                redis.srem(indexKey(previousServer), key)));
    }

    @Override
    public Optional<FlowRecord> find(FlowKey key) {
        byte[] value = call(() -> redis.execute((RedisConnection c) -> c.stringCommands().get(key(key))), "find " + key);
        return value == null ? Optional.empty() : Optional.of(FlowRecordCodec.decode(value));
    }

    /**
     * GETs sent back to back on the shared connection, answered together: one round trip (and, on
     * a Redis Cluster, keys of any slot). A record that cannot be read counts as none.
     */
    @Override
    public List<FlowRecord> findAll(List<FlowKey> keys) {
        List<RedisFuture<byte[]>> gets = new ArrayList<>(keys.size());
        pipeline("find " + keys.size() + " flows", redis -> {
            for (FlowKey key : keys) {
                gets.add(redis.get(key(key)));
            }
            return new ArrayList<>(gets);
        });
        List<FlowRecord> records = new ArrayList<>(keys.size());
        for (RedisFuture<byte[]> get : gets) {
            byte[] value;
            try {
                value = get.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreUnavailableException("Redis: interrupted", e);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new StoreUnavailableException("Redis: find failed: " + e.getCause(), e);
            }
            FlowRecord record = null;
            if (value != null) {
                try {
                    record = FlowRecordCodec.decode(value);
                } catch (IllegalArgumentException e) {
                    record = null; // unreadable: as if absent (the recoverer refuses it the same way)
                }
            }
            records.add(record);
        }
        return records;
    }

    /**
     * A GET, sent at once without waiting: the lookups of many recovering flows are on the wire
     * together. On the packet thread's own connection when it is open (answered on the packet
     * thread, with no other thread between), else on the shared one. Not batched like
     * {@link #saveAsync}: in a recovery burst the packet thread's queue does not run dry, and
     * lookups waiting for a flush were answered tens of milliseconds later (measured: p50 34 ms
     * from the flow's first packet). On the shared connection, in stop 14's bursts, the store
     * answered at p50 20-22 ms: behind the workers' re-indexing (four commands per recovered flow)
     * and Lettuce's I/O thread. Bounded by the same timeout as a save.
     */
    @Override
    public java.util.concurrent.CompletableFuture<Optional<FlowRecord>> findAsync(FlowKey key) {
        try {
            java.util.concurrent.CompletableFuture<byte[]> get = direct != null && direct.ready()
                    ? direct.get(key(key)) : null;
            if (get != null) {
                direct.flush(); // at once, with whatever saves wait; the connection enforces the timeout
            } else {
                get = shared().get(key(key)).toCompletableFuture().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
            }
            return get
                    .handle((value, failure) -> {
                        if (failure != null) { // the message is built only when it is needed
                            throw new StoreUnavailableException("Redis: find " + key + " failed: " + failure,
                                    failure);
                        }
                        return value == null ? Optional.<FlowRecord>empty() : Optional.of(FlowRecordCodec.decode(value));
                    });
        } catch (DataAccessException | IllegalStateException | io.lettuce.core.RedisException e) {
            return java.util.concurrent.CompletableFuture.failedFuture(
                    new StoreUnavailableException("Redis: find " + key + " failed: " + e.getMessage(), e));
        }
    }

    /** The servers' marks, made once each (a removal of every connection needs one). */
    private final java.util.Map<String, byte[]> serverMarks = new java.util.concurrent.ConcurrentHashMap<>();

    private byte[] serverMark(String server) {
        return serverMarks.computeIfAbsent(server, FlowRecordCodec::serverMark);
    }

    @Override
    public void delete(FlowKey key, String server) {
        delete(key, server, false);
    }

    @Override
    public void delete(FlowKey key, String server, boolean afterReset) {
        pipeline("delete " + key, redis -> {
            List<RedisFuture<?>> futures = new ArrayList<>(2);
            removalCommands(redis, key, server, afterReset, futures);
            return futures;
        });
    }

    @Override
    public List<FlowKey> flowsOf(String server) {
        return keysOf(call(() -> redis.execute((RedisConnection c) -> c.setCommands().sMembers(indexKey(server))),
                "flows of " + server));
    }

    @Override
    public List<FlowKey> claimFlowsOf(String server, int max) {
        return keysOf(call(() -> redis.execute((RedisConnection c) -> c.setCommands().sPop(indexKey(server), max)),
                "claim flows of " + server));
    }

    /** The flow keys among an index's members; anything else found there is skipped. */
    private static List<FlowKey> keysOf(java.util.Collection<byte[]> members) {
        List<FlowKey> keys = new ArrayList<>();
        if (members != null) {
            for (byte[] member : members) {
                FlowKey parsed = parseStorageKey(new String(member, StandardCharsets.UTF_8));
                if (parsed != null) {
                    keys.add(parsed);
                }
            }
        }
        return keys;
    }

    @Override
    public boolean reachable() {
        try {
            return "PONG".equals(redis.execute(RedisConnection::ping));
        } catch (DataAccessException | IllegalStateException e) {
            return false;
        }
    }

    /** The inverse of {@link FlowKey#storageKey()}; null for anything else found in an index. */
    static FlowKey parseStorageKey(String storageKey) {
        String[] parts = storageKey.split(":");
        if (parts.length != 5 || !parts[0].equals("trods") || !parts[1].equals("flow")) {
            return null;
        }
        String[] octets = parts[2].split("\\.");
        if (octets.length != 4) {
            return null;
        }
        try {
            int address = 0;
            for (String octet : octets) {
                int value = Integer.parseInt(octet);
                if (value < 0 || value > 255) {
                    return null;
                }
                address = address << 8 | value;
            }
            return new FlowKey(address, Integer.parseInt(parts[3]), Integer.parseInt(parts[4]));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Sends the commands back to back on the shared connection and waits for all their answers: one
     * round trip. (Spring's executePipelined would take a dedicated connection, and without a pool
     * that is a new TCP connection per call: measured at about 3 ms per save.)
     */
    private void pipeline(String what,
            java.util.function.Function<RedisClusterAsyncCommands<byte[], byte[]>, List<RedisFuture<?>>> commands) {
        call(() -> {
            try {
                RedisClusterAsyncCommands<byte[], byte[]> async = shared();
                List<RedisFuture<?>> futures = commands.apply(async);
                if (!LettuceFutures.awaitAll(timeout.toMillis(), TimeUnit.MILLISECONDS,
                        futures.toArray(new RedisFuture<?>[0]))) {
                    throw new QueryTimeoutException(what + " timed out after " + timeout.toMillis() + " ms");
                }
                for (RedisFuture<?> future : futures) {
                    if (future.getError() != null) {
                        throw new InvalidDataAccessApiUsageException(future.getError());
                    }
                }
                return null;
            } catch (io.lettuce.core.RedisException e) {
                throw new RedisSystemException(e.getMessage(), e);
            }
        }, what);
    }

    private static <T> T call(java.util.function.Supplier<T> operation, String what) {
        try {
            return operation.get();
        } catch (DataAccessException | IllegalStateException e) {
            throw new StoreUnavailableException("Redis: " + what + " failed: " + e.getMessage(), e);
        }
    }
}
