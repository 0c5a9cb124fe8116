package io.trods.agent.datapath;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the packets of one queue that the kernel numbered but never delivered, from gaps in the
 * packet ids it assigns in sequence (starting at 1, wrapping past 2^32). Written by the packet
 * thread, read by any.
 */
final class PacketIdGaps {

    private final AtomicLong missed = new AtomicLong();
    private int expected; // 0: nothing received yet

    void received(int packetId) {
        if (expected != 0 && packetId - expected > 0) {
            missed.addAndGet(packetId - expected);
        }
        expected = packetId + 1 == 0 ? 1 : packetId + 1;
    }

    long missed() {
        return missed.get();
    }
}
