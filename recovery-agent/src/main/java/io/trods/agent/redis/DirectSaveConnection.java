package io.trods.agent.redis;

import io.trods.agent.flow.StoreUnavailableException;
import io.trods.agent.kernel.KernelCallException;
import io.trods.agent.kernel.TcpClientSocket;
import java.io.Closeable;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * The packet thread's saves on a Redis connection that the packet thread writes and reads itself
 * (and, in order with them, its handshakes' records and its removals).
 * Through Lettuce every save crossed its I/O thread twice: the packet thread's flush became a task
 * that woke that thread to write, and the answer woke it to read and then woke the packet thread.
 * Here the packet thread sends the batch with one system call and, waiting on this socket together
 * with its queue ({@code NfQueueSocket.await}), reads the answers itself.
 *
 * <p>Only for what Spring Boot configures as one Redis server over plain TCP (with a password,
 * a user name and a database if set); for Sentinel, a cluster or TLS, {@link #of} answers null and
 * the saves go through Lettuce ({@link PacketThreadConnection}). The connection is opened, and
 * authenticated, on a thread of its own; until it is open, {@link #ready} is false and the caller
 * uses another connection. A failure of any kind (the socket, a reply that is not RESP, answers
 * that stop coming) fails every save still waiting (their responses pass unprotected), closes the
 * connection and opens a new one a second later. A Redis error reply fails its own save only.
 *
 * <p>Single-threaded: everything but {@link #close} runs on the packet thread.
 */
final class DirectSaveConnection implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(DirectSaveConnection.class);
    /** Batches larger than this wait for the next flush; a save larger than it goes through Lettuce. */
    static final int BUFFER_BYTES = 256 * 1024;
    private static final byte[] SET = Resp.ascii("SET");
    private static final byte[] PX = Resp.ascii("PX");
    private static final byte[] SADD = Resp.ascii("SADD");
    private static final byte[] PEXPIRE = Resp.ascii("PEXPIRE");
    private static final byte[] NX = Resp.ascii("NX");
    private static final byte[] EVAL = Resp.ascii("EVAL");
    private static final byte[] ONE_KEY = Resp.ascii("1");
    private static final byte[] SREM = Resp.ascii("SREM");
    private static final byte[] GET = Resp.ascii("GET");
    private static final byte[] WAIT = Resp.ascii("WAIT");
    /** Room kept at the end of the buffer for the WAIT that closes a batch of saves. */
    private static final int WAIT_ROOM = 64;

    private final String host;
    private final int port;
    private final String username;
    private final char[] password;
    private final int database;
    private final int connectTimeoutMillis;
    private final long timeoutNanos;
    private final long stuckNanos;
    /** Replicas that must hold a save before it counts as durable; 0: the primary's answer is enough. */
    private final int replicas;
    private final byte[][] waitCommand;
    /** Saves queued since the last WAIT: the next flush ends with one. */
    private boolean savesSinceWait;
    /** Saves Redis answered that wait for the WAIT behind them (in order, all before it). */
    private final ArrayDeque<Waiting> awaitingReplicas = new ArrayDeque<>();

    private volatile TcpClientSocket handedOver;
    private volatile boolean closed;
    private TcpClientSocket socket;
    private final BackgroundOpener opener = new BackgroundOpener(this::open);

    private long ttlMillis = -1;
    private byte[] ttlDigits;
    private final byte[] out = new byte[BUFFER_BYTES];
    private int outLength;
    /** The kernel took none of the last flush (its buffer is full): wait for answers first. */
    private boolean sendBlocked;
    private int savesSinceFlush;
    private final byte[] in = new byte[64 * 1024];
    private int inStart;
    private int inEnd;
    private final Resp.Reply reply = new Resp.Reply();
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();

    /** Work whose answers have not all come: one per command, in order. */
    private static final class Waiting {
        final CompletableFuture<Void> done;
        /** A lookup's value (null for a null answer); null for other work. */
        final CompletableFuture<byte[]> value;
        /** A save while replicas are required: done only once a WAIT after it counted enough of them. */
        final boolean durable;
        /** The WAIT of a batch: its answer settles the saves before it. */
        final boolean replicaCheck;
        /**
         * When its commands were handed to the kernel (0 until then): its timeout runs from there,
         * so that a packet thread paused between queueing and flushing (a GC, a busy batch, no
         * CPU) does not blame Redis for its own delay.
         */
        long sentNanos;
        int answers;
        String error;

        Waiting(int answers, boolean lookup, boolean durable, boolean replicaCheck) {
            this.answers = answers;
            this.done = lookup ? null : new CompletableFuture<>();
            this.value = lookup ? new CompletableFuture<>() : null;
            this.durable = durable;
            this.replicaCheck = replicaCheck;
        }

        boolean settled() {
            return done != null ? done.isDone() : value.isDone();
        }

        void fail(Throwable failure) {
            if (done != null) {
                done.completeExceptionally(failure);
            } else {
                value.completeExceptionally(failure);
            }
        }
    }

    /**
     * @param timeoutNanos a save not answered within this fails (its response passes unprotected)
     * @param stuckNanos a save not answered within this gives the connection up
     * @param replicas replicas that must acknowledge a save (one WAIT per flushed batch, group
     *     commit) before it completes; 0: none, no WAIT
     */
    DirectSaveConnection(String host, int port, String username, char[] password, int database,
            int connectTimeoutMillis, long timeoutNanos, long stuckNanos, int replicas) {
        this.timeoutNanos = timeoutNanos;
        this.replicas = replicas;
        this.waitCommand = new byte[][] {WAIT, Resp.decimal(replicas),
                Resp.decimal(replicaWaitMillis(TimeUnit.NANOSECONDS.toMillis(timeoutNanos)))};
        this.host = host;
        this.port = port;
        this.username = username;
        this.password = password;
        this.database = database;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.stuckNanos = stuckNanos;
    }

    /**
     * For a Lettuce factory configured as one server over plain TCP; null otherwise.
     *
     * @param timeout a save not answered within this fails
     * @param stuckAfter answers that take longer than this mean the connection is given up
     * @param replicas replicas that must acknowledge each save (0: none)
     */
    static DirectSaveConnection of(RedisConnectionFactory factory, java.time.Duration timeout,
            java.time.Duration stuckAfter, int replicas) {
        if (!(factory instanceof LettuceConnectionFactory lettuce) || lettuce.isUseSsl()
                || lettuce.isRedisSentinelAware() || lettuce.isClusterAware()) {
            return null;
        }
        RedisStandaloneConfiguration server = lettuce.getStandaloneConfiguration();
        if (!server.getHostName().equals(lettuce.getHostName()) || server.getPort() != lettuce.getPort()
                || server.getDatabase() != lettuce.getDatabase()) {
            // A factory made with the untyped constructor keeps its server elsewhere (Spring Boot
            // uses the typed one): never save to another Redis than the one the lookups ask.
            log.warn("the Redis factory's standalone settings ({}:{}) are not the server it uses ({}:{}): saves go through Lettuce",
                    server.getHostName(), server.getPort(), lettuce.getHostName(), lettuce.getPort());
            return null;
        }
        char[] password = server.getPassword().isPresent() ? server.getPassword().get() : null;
        return new DirectSaveConnection(server.getHostName(), server.getPort(), server.getUsername(), password,
                server.getDatabase(), 2000, timeout.toNanos(), stuckAfter.toNanos(), replicas);
    }

    /**
     * WAIT's own deadline for a save bound by {@code timeoutMillis}: Redis answers before the save
     * expires here, and the count it answers with says why the save failed.
     */
    static long replicaWaitMillis(long timeoutMillis) {
        return Math.max(1, timeoutMillis * 3 / 4);
    }

    /** The expiry's digits, made once: the store's expiry does not change between saves. */
    private byte[] ttl(long millis) {
        if (millis != ttlMillis) {
            ttlMillis = millis;
            ttlDigits = Resp.decimal(millis);
        }
        return ttlDigits;
    }

    /**
     * Starts the opening now rather than at the first save: until the socket is open, saves take
     * the slower shared connection. Before the packet thread starts ({@link BackgroundOpener} has one caller).
     */
    void connectAhead() {
        openInBackground();
    }

    /** Whether saves can be queued here now; if not, an opening is under way or due. */
    boolean ready() {
        if (socket == null) {
            TcpClientSocket opened = handedOver;
            if (opened == null || closed) {
                openInBackground();
                return false;
            }
            handedOver = null;
            socket = opened;
        }
        return true;
    }

    /**
     * Queues a save's commands for the next {@link #flush}: SET with expiry and, unless
     * {@code index} is null, SADD and PEXPIRE of the server's index.
     *
     * @return its completion, on this thread when its answers are read; null when the batch has no
     *     room for it (then nothing of it was queued)
     */
    CompletableFuture<Void> save(byte[] key, byte[] value, long ttlMillis, byte[] index) {
        byte[] ttl = ttl(ttlMillis);
        int at = Resp.command(out, outLength, SET, key, value, PX, ttl);
        if (at >= 0 && index != null) {
            at = Resp.command(out, at, SADD, index, key);
            at = at < 0 ? -1 : Resp.command(out, at, PEXPIRE, index, ttl);
        }
        return queued(roomForWait(at), index == null ? 1 : 3, replicas > 0);
    }

    /**
     * Queues a handshake's record, set only if the flow has none (SET NX), with its index entry.
     *
     * @return as {@link #save}
     */
    CompletableFuture<Void> saveIfAbsent(byte[] key, byte[] value, long ttlMillis, byte[] index) {
        byte[] ttl = ttl(ttlMillis);
        int at = Resp.command(out, outLength, SET, key, value, PX, ttl, NX);
        at = at < 0 ? -1 : Resp.command(out, at, SADD, index, key);
        at = at < 0 ? -1 : Resp.command(out, at, PEXPIRE, index, ttl);
        return queued(roomForWait(at), 3, replicas > 0);
    }

    /**
     * Queues the removal of a server's index entry and, while it still carries that server's
     * {@code serverMark}, of the record ({@link RecordRelease}).
     *
     * @return as {@link #save}
     */
    CompletableFuture<Void> remove(byte[] key, byte[] index, byte[] serverMark, boolean afterReset) {
        int at = Resp.command(out, outLength, EVAL, RecordRelease.SCRIPT_BYTES, ONE_KEY, key, RecordRelease.OFFSET,
                serverMark, RecordRelease.grace(afterReset));
        at = at < 0 ? -1 : Resp.command(out, at, SREM, index, key);
        return queued(at, 2, false);
    }

    private CompletableFuture<Void> queued(int end, int answers, boolean durable) {
        Waiting work = enqueue(end, answers, false, durable);
        if (work != null && durable) {
            savesSinceWait = true;
        }
        return work == null ? null : work.done;
    }

    /** {@code end}, or -1 when a save ending there would leave no room for the batch's WAIT. */
    private int roomForWait(int end) {
        return replicas > 0 && end > out.length - WAIT_ROOM ? -1 : end;
    }

    /**
     * Queues a lookup (GET) for the next {@link #flush}: answered on this thread like the saves,
     * and in order with them.
     *
     * @return the record's bytes, or null when there is none; null itself when the batch has no room
     */
    CompletableFuture<byte[]> get(byte[] key) {
        Waiting work = enqueue(Resp.command(out, outLength, GET, key), 1, true, false);
        return work == null ? null : work.value;
    }

    private Waiting enqueue(int end, int answers, boolean lookup, boolean durable) {
        if (end < 0) {
            return null;
        }
        outLength = end;
        savesSinceFlush++;
        Waiting work = new Waiting(answers, lookup, durable, false);
        waiting.add(work);
        return work;
    }

    /** Saves queued and not yet handed to the kernel (0 while the kernel takes nothing more). */
    int unflushed() {
        return outLength == 0 || sendBlocked ? 0 : Math.max(1, savesSinceFlush);
    }

    /** Hands the queued commands to the kernel, as many as it takes now; the rest wait. */
    void flush() {
        savesSinceFlush = 0;
        if (outLength == 0 || socket == null) {
            return;
        }
        if (savesSinceWait) {
            // Group commit: one WAIT closes every save queued since the last one.
            int end = Resp.command(out, outLength, waitCommand);
            if (end >= 0) { // always, given the room the saves kept
                outLength = end;
                waiting.add(new Waiting(1, false, false, true));
                savesSinceWait = false;
            }
        }
        stampSent(System.nanoTime());
        try {
            int n = socket.sendNow(out, 0, outLength);
            sendBlocked = n == 0;
            if (n > 0) {
                System.arraycopy(out, n, out, 0, outLength - n);
                outLength -= n;
            }
        } catch (KernelCallException e) {
            broken("send failed: " + e.getMessage());
        }
    }

    /**
     * Starts the clock of the work queued since the last flush. Counted from here even when the
     * kernel takes none of it now: a send buffer that Redis does not drain is Redis being slow.
     */
    private void stampSent(long now) {
        for (var newest = waiting.descendingIterator(); newest.hasNext(); ) {
            Waiting work = newest.next();
            if (work.sentNanos != 0) {
                break;
            }
            work.sentNanos = now;
        }
    }

    /** The socket to wait on for answers; -1 when none is open. */
    int fd() {
        return socket == null ? -1 : socket.fd();
    }

    /** Whether saves wait for answers. */
    boolean awaitingAnswers() {
        return !waiting.isEmpty() || !awaitingReplicas.isEmpty();
    }

    /**
     * Reads the answers that have arrived, without waiting, and completes the saves they finish,
     * in order, on this thread.
     */
    void readAnswers() {
        if (socket == null) {
            return;
        }
        // Taken before reading: whatever had arrived by then is read first, so a save expires
        // only when Redis had not answered it in time, never because this thread was late to look.
        long now = System.nanoTime();
        try {
            while (true) {
                if (inEnd == in.length) {
                    System.arraycopy(in, inStart, in, 0, inEnd - inStart);
                    inEnd -= inStart;
                    inStart = 0;
                }
                int n = socket.receiveNow(in, inEnd, in.length - inEnd);
                if (n < 0) {
                    broken("closed by Redis");
                    return;
                }
                if (n == 0) {
                    break;
                }
                inEnd += n;
                parseAnswers();
                if (socket == null) {
                    return; // broken while parsing
                }
            }
        } catch (KernelCallException e) {
            broken("receive failed: " + e.getMessage());
            return;
        }
        expire(now);
    }

    /**
     * Fails the saves that waited longer than the timeout (their answers, when they come, are
     * still matched in order), and gives the connection up when the oldest waited far longer. Here
     * rather than with {@code CompletableFuture.orTimeout}, whose scheduler thread every save woke.
     */
    private void expire(long now) {
        Waiting unconfirmed = awaitingReplicas.peek();
        if (unconfirmed != null && now - unconfirmed.sentNanos > timeoutNanos) {
            settleReplicated("no acknowledgement from " + replicas + " replica(s) in "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
        }
        Waiting oldest = waiting.peek();
        if (oldest == null || oldest.sentNanos == 0 || now - oldest.sentNanos <= timeoutNanos) {
            return;
        }
        if (now - oldest.sentNanos > stuckNanos) {
            broken("no answer for " + TimeUnit.NANOSECONDS.toMillis(now - oldest.sentNanos) + " ms");
            return;
        }
        for (Waiting save : waiting) {
            if (save.sentNanos == 0 || now - save.sentNanos <= timeoutNanos) {
                break;
            }
            if (!save.settled()) {
                save.fail(new StoreUnavailableException("Redis: no answer in "
                        + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms", null));
            }
        }
    }

    private void parseAnswers() {
        try {
            int end;
            while ((end = Resp.reply(in, inStart, inEnd, reply)) >= 0) {
                inStart = end;
                Waiting save = waiting.peek();
                if (save == null) {
                    broken("an answer to no command");
                    return;
                }
                if (reply.kind == Resp.Kind.ERROR && save.error == null) {
                    save.error = reply.error;
                }
                if (save.replicaCheck && save.error == null && reply.integer < replicas) {
                    save.error = "the saves reached " + reply.integer + " of " + replicas + " replicas in time";
                }
                byte[] value = save.value != null && reply.valueOffset >= 0
                        ? java.util.Arrays.copyOfRange(in, reply.valueOffset, reply.valueOffset + reply.valueLength)
                        : null;
                if (--save.answers == 0) {
                    waiting.poll();
                    sendBlocked = false;
                    if (save.replicaCheck) {
                        settleReplicated(save.error);
                    } else if (save.error != null) {
                        save.fail(new StoreUnavailableException("Redis: " + save.error, null));
                    } else if (save.durable) {
                        awaitingReplicas.add(save); // written on the primary; durable once replicated
                    } else if (save.done != null) {
                        save.done.complete(null);
                    } else {
                        save.value.complete(value);
                    }
                }
            }
            if (inStart == inEnd) {
                inStart = 0;
                inEnd = 0;
            }
        } catch (IllegalArgumentException e) {
            broken("not a Redis answer: " + e.getMessage());
        }
    }

    /** The WAIT's answer: the saves answered before it are durable, or, with {@code error}, not. */
    private void settleReplicated(String error) {
        StoreUnavailableException failure = error == null ? null : new StoreUnavailableException("Redis: " + error, null);
        for (Waiting save; (save = awaitingReplicas.poll()) != null; ) {
            if (failure == null) {
                save.done.complete(null);
            } else {
                save.fail(failure);
            }
        }
    }

    /** Gives the connection up: every waiting save fails, and a new connection opens a second later. */
    private void broken(String reason) {
        log.warn("packet thread's Redis connection to {}:{} lost ({}); {} waiting saves and lookups fail, reconnecting", host, port,
                reason, waiting.size());
        if (socket != null) {
            socket.close();
            socket = null;
        }
        outLength = 0;
        savesSinceFlush = 0;
        sendBlocked = false;
        inStart = 0;
        inEnd = 0;
        StoreUnavailableException failure = new StoreUnavailableException("Redis: " + reason, null);
        for (Waiting save; (save = waiting.poll()) != null; ) {
            save.fail(failure);
        }
        for (Waiting save; (save = awaitingReplicas.poll()) != null; ) {
            save.fail(failure);
        }
        savesSinceWait = false;
        opener.later();
    }

    private void openInBackground() {
        if (!closed) {
            opener.request();
        }
    }

    /** On the opener's thread: connect, authenticate, select the database, hand the socket over. */
    private void open() {
        TcpClientSocket opened = null;
        try {
            InetAddress address = InetAddress.getByName(host);
            if (!(address instanceof Inet4Address v4)) {
                throw new IllegalStateException(host + " is not an IPv4 address");
            }
            opened = TcpClientSocket.connect(v4, port, connectTimeoutMillis, BUFFER_BYTES);
            if (password != null) {
                byte[] secret = new String(password).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                expectOk(opened, username == null || username.isEmpty()
                        ? new byte[][] {Resp.ascii("AUTH"), secret}
                        : new byte[][] {Resp.ascii("AUTH"), username.getBytes(java.nio.charset.StandardCharsets.UTF_8), secret},
                        "AUTH");
            }
            if (database != 0) {
                expectOk(opened, new byte[][] {Resp.ascii("SELECT"), Resp.decimal(database)}, "SELECT");
            }
            if (closed) {
                opened.close();
                return;
            }
            handedOver = opened;
            opened = null;
            log.info("packet thread's Redis connection to {}:{} open", host, port);
        } catch (java.io.IOException | RuntimeException e) {
            log.warn("packet thread's Redis connection to {}:{} not open ({}); saves use Lettuce meanwhile", host, port,
                    e.getMessage());
        } finally {
            if (opened != null) {
                opened.close();
            }
        }
    }

    private static void expectOk(TcpClientSocket socket, byte[][] command, String what) throws KernelCallException,
            java.io.IOException {
        byte[] buffer = new byte[4096];
        int length = Resp.command(buffer, 0, command);
        socket.sendAll(buffer, 0, length);
        int have = 0;
        Resp.Reply answer = new Resp.Reply();
        while (true) {
            int n = socket.receive(buffer, have, buffer.length - have);
            if (n <= 0) {
                throw new java.io.IOException(what + ": no answer");
            }
            have += n;
            if (Resp.reply(buffer, 0, have, answer) >= 0) {
                if (answer.kind != Resp.Kind.OK) {
                    throw new java.io.IOException(what + " refused: " + answer.error);
                }
                return;
            }
        }
    }

    /** Stops opening connections; the packet thread's own is closed with the process. */
    @Override
    public void close() {
        closed = true;
        TcpClientSocket opened = handedOver;
        handedOver = null;
        if (opened != null) {
            opened.close();
        }
    }
}
