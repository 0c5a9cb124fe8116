package io.trods.lbplugin.reconcile;

import io.trods.lbplugin.driver.BalancerDriver;
import io.trods.lbplugin.driver.DriverException;
import io.trods.lbplugin.driver.SettingCheck;
import io.trods.lbplugin.table.BalancerTable;
import io.trods.lbplugin.table.Endpoint;
import io.trods.lbplugin.table.TableEditor;
import io.trods.lbplugin.table.TableOp;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * A kernel balancer that behaves like IPVS: operations one by one, refused with EEXIST/ENOENT/ESRCH
 * when they don't match its table, and an injectable failure at the k-th operation that leaves the
 * earlier ones applied.
 */
public final class FakeKernelDriver implements BalancerDriver {

    public record Forgotten(Endpoint service, String address) {}

    private BalancerTable kernel = BalancerTable.empty();
    private int failAtOp = -1; // counted from 0 over every op this fake is given
    private int opsSeen;
    private boolean failNextRead;
    private boolean failNextForget;
    public int applyCalls;
    public int readCalls;
    public final List<Forgotten> forgotten = new ArrayList<>();

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public synchronized BalancerTable read() throws DriverException {
        readCalls++;
        if (failNextRead) {
            failNextRead = false;
            throw new DriverException("read", 1, "injected", "injected read failure");
        }
        return kernel;
    }

    @Override
    public synchronized void apply(List<TableOp> ops, BalancerTable desired) throws DriverException {
        applyCalls++;
        TableEditor editor = new TableEditor(kernel);
        try {
            for (TableOp op : ops) {
                if (opsSeen++ == failAtOp) {
                    throw new DriverException("apply", 12, "", "injected failure at " + op + ": Cannot allocate memory");
                }
                editor.apply(op);
            }
        } catch (TableEditor.Refused e) {
            throw new DriverException("apply", e.errno.code, "", e.getMessage());
        } finally {
            kernel = editor.table(); // what was applied before the failure stays applied
        }
    }

    @Override
    public synchronized void forgetConnections(Endpoint service, String backendAddress) throws DriverException {
        if (failNextForget) {
            failNextForget = false;
            throw new DriverException("forget", 2, "injected", "injected forget failure");
        }
        forgotten.add(new Forgotten(service, backendAddress));
    }

    @Override
    public List<SettingCheck> checkSettings() {
        return List.of(SettingCheck.of("net.fake.setting", "1", "1", "none"));
    }

    public synchronized BalancerTable kernel() {
        return kernel;
    }

    /** Someone else changes the kernel's table behind the reconciler's back. */
    public synchronized void drift(UnaryOperator<BalancerTable> change) {
        kernel = change.apply(kernel);
    }

    /** The {@code k}-th operation from now fails (0: the next one). */
    public synchronized void failAtOperation(int k) {
        failAtOp = opsSeen + k;
    }

    public synchronized void failNextRead() {
        failNextRead = true;
    }

    public synchronized void failNextForget() {
        failNextForget = true;
    }
}
