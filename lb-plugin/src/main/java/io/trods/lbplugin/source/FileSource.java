package io.trods.lbplugin.source;

import io.trods.control.ControlCodec;
import io.trods.control.DesiredState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A desired state in a local JSON file, polled: a single director without ZooKeeper. Write the file
 * atomically (to a temporary name, then rename) so that a poll never reads half of it; a half-read
 * document would be rejected anyway, and the last good state kept.
 */
public final class FileSource implements DesiredStateSource {

    private static final Logger log = LoggerFactory.getLogger(FileSource.class);

    private final Path file;
    private final Duration interval;
    private final DocumentIntake intake;
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "balancer-file-source");
        t.setDaemon(true);
        return t;
    });
    private byte[] lastBytes;
    private volatile String state = "NOT_READ";

    public FileSource(Path file, Duration interval, ControlCodec codec, Predicate<DesiredState> sink) {
        this.file = file;
        this.interval = interval;
        this.intake = new DocumentIntake(codec, sink, file.toString());
    }

    @Override
    public void start() {
        poller.scheduleWithFixedDelay(this::poll, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    void poll() {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            changeState("MISSING");
            return;
        } catch (IOException e) {
            changeState("UNREADABLE");
            return;
        }
        changeState("READABLE");
        if (Arrays.equals(bytes, lastBytes)) {
            return; // unchanged: nothing to decode
        }
        lastBytes = bytes;
        intake.accept(bytes);
    }

    private void changeState(String now) {
        if (!now.equals(state)) {
            if (!now.equals("READABLE")) {
                log.warn("desired state file {} is {}: keeping the last applied table", file, now.toLowerCase());
            }
            state = now;
        }
    }

    @Override
    public SourceStatus status() {
        boolean readable = state.equals("READABLE");
        return new SourceStatus("file", state, readable, !readable && !state.equals("NOT_READ"),
                intake.invalidDocuments(), intake.lastInvalidReason(), intake.lastSeenVersion());
    }

    @Override
    public void close() {
        poller.shutdownNow();
    }
}
