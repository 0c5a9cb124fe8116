package io.trods.agent.flow;

import java.util.List;
import java.util.Optional;

/**
 * Where recovery state lives between the server that saves it and the one that recovers with it.
 * Narrow on purpose: the Redis adapter implements it for real, an in-memory fake for unit tests.
 * Every method may throw {@link StoreUnavailableException}; callers treat that as "unprotected"
 * (fail-open), never as a reason to hold traffic.
 */
public interface FlowStore {

    /** Durably saves (or replaces) a record and indexes it under its server; returns when durable. */
    void save(FlowRecord record);

    /**
     * Saves like {@link #save} without blocking the caller: the future completes when the record
     * is durable, or exceptionally (with a {@link StoreUnavailableException}) when it cannot be.
     * The default saves at once and returns a completed future; the Redis store really pipelines.
     */
    default java.util.concurrent.CompletableFuture<Void> saveAsync(FlowRecord record) {
        try {
            save(record);
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        } catch (StoreUnavailableException e) {
            return java.util.concurrent.CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Saves like {@link #saveAsync(FlowRecord)}; with {@code indexed}, the flow is known to be in
     * its server's index already (an earlier save of the same connection put it there, recently),
     * and only the record is written. The default writes both.
     */
    default java.util.concurrent.CompletableFuture<Void> saveAsync(FlowRecord record, boolean indexed) {
        return saveAsync(record);
    }

    /**
     * Starts opening, in the background, the connection that {@link #flush} sends on, so that the
     * first saves after a start find it open. Call before the packet thread starts: after that,
     * only the packet thread drives that connection. The default has nothing to open.
     */
    default void connectAhead() {
    }

    /**
     * Asynchronous saves started since the last {@link #flush} that may still wait in a buffer of
     * this store; 0 for a store that sends each at once (the default).
     */
    default int unflushed() {
        return 0;
    }

    /**
     * Sends the asynchronous saves started so far, together. Their caller (the packet thread) calls
     * it whenever it has no packet left to handle: until then they may wait.
     */
    default void flush() {
    }

    /**
     * A socket on which answers to this store's flushed saves arrive, for the packet thread to wait
     * on together with its queue; -1 when there is none (the answers complete the saves on a
     * thread of the store's own).
     */
    default int answerFd() {
        return -1;
    }

    /** Whether flushed saves wait for answers on {@link #answerFd}. */
    default boolean awaitingAnswers() {
        return false;
    }

    /** Reads the answers that arrived on {@link #answerFd}, without waiting, completing their saves. */
    default void readAnswers() {
    }

    /**
     * Queues a handshake's record (saved only if the flow has none, with its index entry) on the
     * connection of {@link #answerFd}, in order with the saves there.
     *
     * @return its completion; null when that connection cannot take it now (none is open, or its
     *     batch is full): the caller then saves it another way
     */
    default java.util.concurrent.CompletableFuture<Void> queueHandshake(FlowRecord record) {
        return null;
    }

    /**
     * Queues the removal of a flow's record and index entry on the connection of {@link #answerFd},
     * as {@link #delete(FlowKey, String, boolean)}.
     *
     * @return as {@link #queueHandshake}
     */
    default java.util.concurrent.CompletableFuture<Void> queueRemoval(FlowKey key, String server, boolean afterReset) {
        return null;
    }

    /**
     * Saves a record only if the flow has none yet: the handshake record, saved in the background,
     * must never overwrite the response's record if it lands later.
     */
    void saveIfAbsent(FlowRecord record);

    Optional<FlowRecord> find(FlowKey key);

    /**
     * The records of several flows, in the order of the keys (null where there is none): one round
     * trip for a failed server's batch of flows rather than one per flow. The default finds one by one.
     */
    default List<FlowRecord> findAll(List<FlowKey> keys) {
        List<FlowRecord> records = new java.util.ArrayList<>(keys.size());
        for (FlowKey key : keys) {
            records.add(find(key).orElse(null));
        }
        return records;
    }

    /**
     * Finds like {@link #find} without blocking the caller: the future completes with the record
     * (or none), or exceptionally when the store cannot answer or the record cannot be read. The
     * default looks up at once; the Redis store really pipelines.
     */
    default java.util.concurrent.CompletableFuture<Optional<FlowRecord>> findAsync(FlowKey key) {
        try {
            return java.util.concurrent.CompletableFuture.completedFuture(find(key));
        } catch (StoreUnavailableException | IllegalArgumentException e) {
            return java.util.concurrent.CompletableFuture.failedFuture(e);
        }
    }

    /** Saves a record now carried by another server and takes it out of the previous one's index. */
    void moved(FlowRecord record, String previousServer);

    /**
     * Removes {@code server}'s index entry of a flow, and its record while the record still names
     * {@code server} (a survivor that took the flow over owns it now); absent records are fine.
     */
    void delete(FlowKey key, String server);

    /**
     * As {@link #delete}; after a reset ({@code afterReset}) the record, still only if it names
     * {@code server}, is kept a short while before it goes. A reset at a server that was wrongly
     * declared failed is the client's answer to that server's stray segments while a survivor
     * takes its connection over; the survivor must still find the record. The default removes it
     * at once.
     */
    default void delete(FlowKey key, String server, boolean afterReset) {
        delete(key, server);
    }

    /**
     * Applies upkeep in its order. The default goes one by one; the Redis store sends the whole
     * batch as one pipeline on one connection, which keeps the order and costs one round trip.
     */
    default void upkeep(List<Upkeep> work) {
        for (Upkeep u : work) {
            if (u.handshake() != null) {
                saveIfAbsent(u.handshake());
            } else {
                delete(u.removed(), u.server(), u.afterReset());
            }
        }
    }

    /** The flows a server carried when it was last heard of: what to prompt after it failed. */
    List<FlowKey> flowsOf(String server);

    /**
     * Takes up to {@code max} flows out of a failed server's index, atomically: each flow is
     * claimed by exactly one of the survivors that ask, so that each client is prompted once.
     */
    List<FlowKey> claimFlowsOf(String server, int max);

    /** A cheap round trip, for health. */
    boolean reachable();
}
