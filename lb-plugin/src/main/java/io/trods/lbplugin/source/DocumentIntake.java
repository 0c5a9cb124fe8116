package io.trods.lbplugin.source;

import io.trods.control.ControlCodec;
import io.trods.control.DesiredState;
import io.trods.control.InvalidDocumentException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What both sources do with a document's bytes: decode and validate, count and explain the invalid
 * ones (the last good state stays applied), hand the valid ones on.
 */
final class DocumentIntake {

    private static final Logger log = LoggerFactory.getLogger(DocumentIntake.class);

    private final ControlCodec codec;
    private final Predicate<DesiredState> sink;
    private final String origin;
    private final AtomicLong invalid = new AtomicLong();
    private final AtomicLong lastSeen = new AtomicLong();
    private volatile String lastInvalidReason = "";

    /** @param sink takes a state, answers whether it was newer than the last one */
    DocumentIntake(ControlCodec codec, Predicate<DesiredState> sink, String origin) {
        this.codec = codec;
        this.sink = sink;
        this.origin = origin;
    }

    void accept(byte[] bytes) {
        DesiredState state;
        try {
            state = codec.desiredState(bytes);
        } catch (InvalidDocumentException e) {
            invalid.incrementAndGet();
            lastInvalidReason = e.getMessage();
            log.warn("ignoring the desired state in {}: {}; the last good state stays applied", origin, e.getMessage());
            return;
        }
        lastSeen.accumulateAndGet(state.version(), Math::max);
        if (sink.test(state)) {
            log.debug("desired version {} from {}", state.version(), origin);
        } else {
            log.debug("desired version {} from {} is not newer than the last one: ignored", state.version(), origin);
        }
    }

    long invalidDocuments() {
        return invalid.get();
    }

    String lastInvalidReason() {
        return lastInvalidReason;
    }

    long lastSeenVersion() {
        return lastSeen.get();
    }
}
