package io.trods.agent.pcap;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.channels.Channels;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's debug dump: queued packets to a pcap file, for tcpdump or Wireshark. The packet thread
 * only copies a packet into a bounded queue ({@link #record}); a thread of its own writes the file.
 * When the writer falls behind, packets are dropped and counted, never waited for.
 *
 * <p>Bounded on disk: the file is rotated at half the cap, to {@code NAME.1} (replacing the one
 * before), so that NAME and NAME.1 together hold the most recent traffic and never more than the
 * cap. A file left by an earlier run becomes NAME.1 at the start. A write error stops the dump
 * (logged once); the agent goes on.
 */
public final class PacketDump implements Closeable {

    /** The smallest cap: each of the two files must hold a few 64 KiB super-packets. */
    public static final long MIN_MAX_BYTES = 1024 * 1024;
    private static final Logger log = LoggerFactory.getLogger(PacketDump.class);
    private static final long MAX_QUEUED_BYTES = 16 * 1024 * 1024;
    private static final Entry END = new Entry(0, new byte[0]);

    private record Entry(long timestampMicros, byte[] packet) {}

    private final Path file;
    private final Path previous;
    private final long maxFileBytes;
    private final BlockingQueue<Entry> queue = new ArrayBlockingQueue<>(8192);
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final long baseMicros = System.currentTimeMillis() * 1000;
    private final long baseNanos = System.nanoTime();
    private final Thread writer;
    private volatile boolean open = true;
    private PcapWriter out; // the writer thread's

    private PacketDump(Path file, long maxBytes) throws IOException {
        this.file = file;
        this.previous = file.resolveSibling(file.getFileName() + ".1");
        this.maxFileBytes = maxBytes / 2;
        this.out = create();
        this.writer = new Thread(this::drain, "trods-pcap-dump");
        writer.setDaemon(true);
    }

    /**
     * Starts dumping to {@code file}.
     *
     * @param maxBytes what the dump may hold on disk in all (NAME and NAME.1), at least {@link #MIN_MAX_BYTES}
     * @throws IOException if the file cannot be created
     */
    public static PacketDump start(Path file, long maxBytes) throws IOException {
        if (maxBytes < MIN_MAX_BYTES) {
            throw new IllegalArgumentException("a packet dump needs a cap of at least 1 MiB, not " + maxBytes);
        }
        PacketDump dump = new PacketDump(file, maxBytes);
        dump.writer.start();
        return dump;
    }

    /**
     * Queues a copy of one packet (from its IPv4 header on), time-stamped now. Packet thread: never
     * blocks; drops the packet when the writer is behind or the dump has stopped.
     */
    public void record(byte[] buffer, int offset, int length) {
        if (!open || queuedBytes.get() > MAX_QUEUED_BYTES) {
            dropped.incrementAndGet();
            return;
        }
        long micros = baseMicros + (System.nanoTime() - baseNanos) / 1000;
        byte[] copy = java.util.Arrays.copyOfRange(buffer, offset, offset + length);
        if (queue.offer(new Entry(micros, copy))) {
            queuedBytes.addAndGet(length);
        } else {
            dropped.incrementAndGet();
        }
    }

    /** Packets written to the file(s). */
    public long written() {
        return written.get();
    }

    /** Packets not written: the writer was behind, or the dump had stopped. */
    public long dropped() {
        return dropped.get();
    }

    public Path file() {
        return file;
    }

    /** Writes what is queued, closes the file and ends the writer thread (waits up to 2 s). */
    @Override
    public void close() {
        if (open) {
            open = false;
            queue.offer(END); // wakes the writer; if the queue is full it still sees !open at the next poll
        }
        try {
            writer.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void drain() {
        try {
            while (true) {
                Entry entry = queue.poll(200, TimeUnit.MILLISECONDS);
                if (entry == null || entry == END) {
                    out.flush(); // idle: make what was written readable by tcpdump -r now
                    if (!open && queue.isEmpty()) {
                        break;
                    }
                    continue;
                }
                queuedBytes.addAndGet(-entry.packet().length);
                write(entry);
            }
        } catch (IOException e) {
            log.error("the packet dump {} stopped: {}", file, e.toString());
            open = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                out.close();
            } catch (IOException e) {
                log.warn("closing the packet dump {}: {}", file, e.toString());
            }
            queue.clear();
        }
    }

    private void write(Entry entry) throws IOException {
        if (out.bytes() + PcapWriter.recordBytes(entry.packet().length) > maxFileBytes) {
            out.close();
            out = create();
        }
        out.write(entry.timestampMicros(), entry.packet(), 0, entry.packet().length);
        written.incrementAndGet();
    }

    /**
     * A new, empty dump file; an existing one becomes NAME.1. Readable by its owner only: it holds
     * the clients' requests and the served bytes.
     */
    private PcapWriter create() throws IOException {
        if (Files.exists(file)) {
            Files.move(file, previous, StandardCopyOption.REPLACE_EXISTING);
        }
        var channel = Files.newByteChannel(file, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        return new PcapWriter(new BufferedOutputStream(Channels.newOutputStream(channel), 64 * 1024));
    }
}
