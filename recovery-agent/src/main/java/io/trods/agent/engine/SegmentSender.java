package io.trods.agent.engine;

/** Puts a segment the agent built itself on the wire (a raw socket in production). */
@FunctionalInterface
public interface SegmentSender {

    /** @param destination the IPv4 destination, also written in the segment */
    void send(byte[] segment, int length, int destination);
}
