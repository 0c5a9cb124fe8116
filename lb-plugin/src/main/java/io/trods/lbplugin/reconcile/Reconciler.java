package io.trods.lbplugin.reconcile;

import io.trods.control.DesiredState;
import io.trods.control.FailedServer;
import io.trods.control.VirtualService;
import io.trods.lbplugin.driver.BalancerDriver;
import io.trods.lbplugin.driver.DriverException;
import io.trods.lbplugin.driver.SettingCheck;
import io.trods.lbplugin.table.BalancerTable;
import io.trods.lbplugin.table.Endpoint;
import io.trods.lbplugin.table.TableDiff;
import io.trods.lbplugin.table.TableOp;
import io.trods.lbplugin.table.TableService;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings the kernel's table to the newest desired state, synchronously: {@link ReconcileLoop} calls
 * {@link #sync} on its one thread, tests call it directly. A partial sync diffs against what was
 * last applied; a full sync (at start, after any error, on request) diffs against what the kernel
 * holds. Connections of a server that left a service (removed, or listed as failed) are forgotten
 * only once the table without it is in place, so that their next packets find a survivor; a
 * drained server is still in the table and keeps its connections.
 */
public final class Reconciler {

    private static final Logger log = LoggerFactory.getLogger(Reconciler.class);

    /** A server whose connections to a service must be rescheduled. */
    record Forget(Endpoint service, String address) {}

    private final BalancerDriver driver;
    private final LongSupplier clock;
    private final List<Consumer<SyncRecord>> listeners = new CopyOnWriteArrayList<>();

    private volatile DesiredState desired;

    // Written by the syncing thread only; volatile so that status() reads them from anywhere.
    private volatile BalancerTable applied;
    private volatile long appliedVersion;
    private volatile long appliedAtMillis;
    private volatile boolean dirty = true;
    private volatile SyncRecord lastSync;
    private volatile long syncErrors;
    private volatile List<SettingCheck> settings = List.of();
    private final Set<Forget> pendingForgets = new LinkedHashSet<>();
    private Set<Forget> handledFailures = Set.of();

    public Reconciler(BalancerDriver driver, LongSupplier clock) {
        this.driver = driver;
        this.clock = clock;
    }

    public BalancerDriver driver() {
        return driver;
    }

    public void addListener(Consumer<SyncRecord> listener) {
        listeners.add(listener);
    }

    /** Accepts a desired state newer than the last one; an older or equal version is ignored. */
    public synchronized boolean offer(DesiredState state) {
        DesiredState current = desired;
        if (current != null && state.version() <= current.version()) {
            return false;
        }
        desired = state;
        return true;
    }

    /** Marks the kernel's table unknown, so that the next sync reads it. */
    public void markDirty() {
        dirty = true;
    }

    /**
     * One attempt. Returns null when there is nothing to sync to yet (no desired state: the kernel's
     * table is left as it is, whatever it holds).
     */
    public SyncRecord sync(boolean forceFull) {
        DesiredState want = desired;
        if (want == null) {
            return null;
        }
        long started = System.nanoTime();
        boolean full = forceFull || dirty || applied == null;
        BalancerTable target = BalancerTable.from(want);
        int operations = 0;
        int forgotten = 0;
        String error = "";
        try {
            BalancerTable before = full ? driver.read() : driver.kernelView(applied);
            collectForgets(full ? before : applied, target, want);
            List<TableOp> ops = TableDiff.between(before, driver.kernelView(target));
            operations = ops.size();
            if (!ops.isEmpty()) {
                driver.apply(ops, target);
            }
            long tableChanged = System.nanoTime();
            applied = target;
            appliedVersion = want.version();
            appliedAtMillis = clock.getAsLong();
            dirty = false;
            List<Forget> forgets;
            synchronized (pendingForgets) {
                forgets = List.copyOf(pendingForgets);
            }
            for (Forget f : forgets) {
                driver.forgetConnections(f.service(), f.address());
                synchronized (pendingForgets) {
                    pendingForgets.remove(f);
                }
                forgotten++;
            }
            handledFailures = failures(want);
            if (operations > 0 || forgotten > 0) {
                // What an operator looks for after a failover: when the kernel changed, and how long
                // the table and the connections' flush each took.
                log.info("applied desired version {}: {} table operation(s) in {} ms{}", want.version(), operations,
                        millis(tableChanged - started), forgotten == 0 ? ""
                                : ", then the connections of " + forgotten + " server(s) forgotten in "
                                        + millis(System.nanoTime() - tableChanged) + " ms");
            }
        } catch (DriverException | RuntimeException e) {
            // Whatever happened in the kernel, we no longer know its table: read it next time.
            dirty = true;
            syncErrors++;
            error = e.getMessage() == null ? e.toString() : e.getMessage();
            log.warn("sync to desired version {} failed: {}", want.version(), error);
        }
        if (full) {
            settings = driver.checkSettings();
        }
        SyncRecord record = new SyncRecord(clock.getAsLong(), System.nanoTime() - started, full, operations, forgotten,
                want.version(), appliedVersion, appliedAtMillis, error);
        lastSync = record;
        listeners.forEach(l -> l.accept(record));
        return record;
    }

    private static String millis(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1f", nanos / 1e6);
    }

    public ReconcilerStatus status() {
        DesiredState want = desired;
        BalancerTable desiredTable = want == null ? null : BalancerTable.from(want);
        BalancerTable done = applied;
        List<TableOp> pending = desiredTable == null ? List.of()
                : TableDiff.between(done == null ? BalancerTable.empty() : driver.kernelView(done),
                        driver.kernelView(desiredTable));
        int forgets;
        synchronized (pendingForgets) {
            forgets = pendingForgets.size();
        }
        return new ReconcilerStatus(driver.name(), want, desiredTable, appliedVersion, appliedAtMillis, done, pending,
                forgets, dirty, lastSync, syncErrors, settings);
    }

    /** Checks the kernel settings now (at start, before any sync). */
    public void checkSettings() {
        settings = driver.checkSettings();
        settings.stream().filter(s -> !s.ok()).forEach(s -> log.warn("{}", s.warning()));
    }

    private void collectForgets(BalancerTable previous, BalancerTable target, DesiredState want) {
        synchronized (pendingForgets) {
            for (TableService old : previous.services().values()) {
                TableService now = target.service(old.key());
                for (Endpoint backend : old.backends().keySet()) {
                    if (now == null || !now.backends().containsKey(backend)) {
                        pendingForgets.add(new Forget(old.key(), backend.address()));
                    }
                }
            }
            for (Forget f : failures(want)) {
                if (!handledFailures.contains(f)) {
                    pendingForgets.add(f);
                }
            }
            // A server back in its service must keep the connections it has.
            pendingForgets.removeIf(f -> target.service(f.service()) != null && target.service(f.service()).backends()
                    .keySet().stream().anyMatch(b -> b.address().equals(f.address())));
        }
    }

    private static Set<Forget> failures(DesiredState state) {
        Set<Forget> failures = new HashSet<>();
        for (VirtualService vs : state.services()) {
            for (FailedServer f : vs.failed()) {
                failures.add(new Forget(new Endpoint(vs.address(), vs.port()), f.address()));
            }
        }
        return failures;
    }
}
