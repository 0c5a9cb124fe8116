package io.trods.lbplugin.ipvs.channel;

import io.trods.lbplugin.driver.CommandRunner;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Runs commands in a qemu guest through its control channel: the host end of a virtio-serial port,
 * a unix socket ({@code -chardev socket,path=...,server=on}). One connection is kept and reused
 * (qemu serves one client per port); it is dropped after any error or timeout and opened again by
 * the next command. Responses are read in whatever pieces the socket delivers, up to the newline;
 * a response to an earlier, timed-out request is recognised by its id and skipped.
 */
public final class GuestChannelRunner implements CommandRunner, Closeable {

    /** Time the channel itself may add on top of the command's own timeout (TCG guests are slow). */
    static final Duration SLACK = Duration.ofSeconds(2);
    private static final int MAX_LINE = 64 << 20;

    private final Path socket;
    private final String idPrefix = "j" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
    private long sequence;
    private SocketChannel channel;
    private Selector selector;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    public GuestChannelRunner(Path socket) {
        this.socket = socket;
    }

    public Path socket() {
        return socket;
    }

    @Override
    public synchronized CommandResult run(List<String> argv, byte[] stdin, Duration timeout) throws IOException {
        String id = idPrefix + "-" + (++sequence);
        int guestSeconds = (int) Math.max(1, (timeout.toMillis() + 999) / 1000);
        byte[] request = ChannelProtocol.request(id, guestSeconds, ShellWords.join(argv), stdin)
                .getBytes(StandardCharsets.US_ASCII);
        long deadline = System.nanoTime() + timeout.plus(SLACK).toNanos();
        try {
            connect();
            write(ByteBuffer.wrap(request), deadline);
            while (true) {
                String line = nextLine(deadline, argv.get(0));
                ChannelProtocol.Response response = ChannelProtocol.parseResponse(line);
                if (response != null && response.id().equals(id)) {
                    return response.result();
                }
                // Otherwise: a late answer to a request that timed out, or noise. Keep reading.
            }
        } catch (IOException | RuntimeException e) {
            // Unknown position in the stream: start over on a fresh connection next time.
            disconnect();
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
    }

    @Override
    public synchronized void close() {
        disconnect();
    }

    private void connect() throws IOException {
        if (channel != null && channel.isOpen()) {
            return;
        }
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            c.connect(UnixDomainSocketAddress.of(socket));
            c.configureBlocking(false);
            selector = Selector.open();
            c.register(selector, 0);
        } catch (IOException e) {
            c.close();
            throw new IOException("guest control channel " + socket + ": " + e.getMessage(), e);
        }
        channel = c;
        pending.reset();
    }

    private void disconnect() {
        try {
            if (selector != null) {
                selector.close();
            }
            if (channel != null) {
                channel.close();
            }
        } catch (IOException ignored) {
            // closing: nothing left to do
        }
        selector = null;
        channel = null;
        pending.reset();
    }

    private void write(ByteBuffer buffer, long deadline) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.write(buffer) == 0) {
                await(SelectionKey.OP_WRITE, deadline, "sending the request");
            }
        }
    }

    private String nextLine(long deadline, String tool) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);
        while (true) {
            byte[] bytes = pending.toByteArray();
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] == '\n') {
                    pending.reset();
                    pending.write(bytes, i + 1, bytes.length - i - 1);
                    return new String(bytes, 0, i, StandardCharsets.US_ASCII);
                }
            }
            if (bytes.length > MAX_LINE) {
                throw new IOException("guest control channel: line longer than " + MAX_LINE + " bytes");
            }
            buffer.clear();
            int n = channel.read(buffer);
            if (n < 0) {
                throw new IOException("guest control channel " + socket + " closed while running " + tool);
            }
            if (n == 0) {
                await(SelectionKey.OP_READ, deadline, "waiting for " + tool);
                continue;
            }
            pending.write(buffer.array(), 0, n);
        }
    }

    private void await(int op, long deadline, String what) throws IOException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new IOException("guest control channel " + socket + ": timed out " + what);
        }
        SelectionKey key = channel.keyFor(selector);
        key.interestOps(op);
        selector.select(Math.max(1, left / 1_000_000));
        selector.selectedKeys().clear();
    }
}
