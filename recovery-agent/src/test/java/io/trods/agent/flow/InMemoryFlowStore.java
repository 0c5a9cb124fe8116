package io.trods.agent.flow;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** A FlowStore that behaves like the Redis one, in memory, with a switch to simulate an outage. */
public final class InMemoryFlowStore implements FlowStore {

    public final Map<FlowKey, FlowRecord> records = new HashMap<>();
    public final Map<String, Set<FlowKey>> index = new HashMap<>();
    public final List<String> log = new ArrayList<>();
    public boolean down;
    /**
     * When set, the next {@link #saveAsync} returns a future that completes only with this one
     * (a slow Redis), and the record is saved then, unless it failed.
     */
    public java.util.concurrent.CompletableFuture<Void> slowSave;

    @Override
    public java.util.concurrent.CompletableFuture<Void> saveAsync(FlowRecord record, boolean indexed) {
        if (!indexed) {
            return saveAsync(record);
        }
        Runnable write = () -> {
            check("save record " + record.key()); // the record alone: the index entry exists
            records.put(record.key(), record);
        };
        java.util.concurrent.CompletableFuture<Void> slow = slowSave;
        if (slow != null) {
            slowSave = null;
            return slow.thenRun(write);
        }
        try {
            write.run();
            return java.util.concurrent.CompletableFuture.completedFuture(null);
        } catch (StoreUnavailableException e) {
            return java.util.concurrent.CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public java.util.concurrent.CompletableFuture<Void> saveAsync(FlowRecord record) {
        java.util.concurrent.CompletableFuture<Void> slow = slowSave;
        if (slow == null) {
            return FlowStore.super.saveAsync(record);
        }
        slowSave = null;
        return slow.thenRun(() -> save(record));
    }

    /**
     * While set, every {@link #findAsync} answers only when this completes (a slow Redis), with
     * what {@link #find} says then; a failure of it fails the lookup.
     */
    public volatile java.util.concurrent.CompletableFuture<Void> slowFind;

    @Override
    public java.util.concurrent.CompletableFuture<java.util.Optional<FlowRecord>> findAsync(FlowKey key) {
        java.util.concurrent.CompletableFuture<Void> slow = slowFind;
        if (slow == null) {
            return FlowStore.super.findAsync(key);
        }
        return slow.thenApply(done -> find(key));
    }

    private void check(String what) {
        log.add(what);
        if (down) {
            throw new StoreUnavailableException("store down: " + what, null);
        }
    }

    @Override
    public void save(FlowRecord record) {
        check("save " + record.key());
        records.put(record.key(), record);
        index.computeIfAbsent(record.server(), s -> new HashSet<>()).add(record.key());
    }

    @Override
    public void saveIfAbsent(FlowRecord record) {
        check("saveIfAbsent " + record.key());
        records.putIfAbsent(record.key(), record);
        index.computeIfAbsent(record.server(), s -> new HashSet<>()).add(record.key());
    }

    @Override
    public void moved(FlowRecord record, String previousServer) {
        save(record);
        index.getOrDefault(previousServer, new HashSet<>()).remove(record.key());
    }

    @Override
    public Optional<FlowRecord> find(FlowKey key) {
        check("find " + key);
        return Optional.ofNullable(records.get(key));
    }

    @Override
    public void delete(FlowKey key, String server) {
        check("delete " + key);
        records.computeIfPresent(key, (k, record) -> record.server().equals(server) ? null : record); // as RecordRelease
        index.getOrDefault(server, new HashSet<>()).remove(key);
    }

    @Override
    public List<FlowKey> flowsOf(String server) {
        check("flowsOf " + server);
        return new ArrayList<>(index.getOrDefault(server, Set.of()));
    }

    @Override
    public List<FlowKey> claimFlowsOf(String server, int max) {
        check("claim " + server);
        List<FlowKey> claimed = new ArrayList<>();
        var it = index.getOrDefault(server, new HashSet<>()).iterator();
        while (it.hasNext() && claimed.size() < max) {
            claimed.add(it.next());
            it.remove();
        }
        return claimed;
    }

    @Override
    public boolean reachable() {
        return !down;
    }
}
