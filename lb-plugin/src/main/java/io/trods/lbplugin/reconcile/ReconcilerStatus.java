package io.trods.lbplugin.reconcile;

import io.trods.control.DesiredState;
import io.trods.lbplugin.driver.SettingCheck;
import io.trods.lbplugin.table.BalancerTable;
import io.trods.lbplugin.table.TableOp;
import java.util.List;

/**
 * A consistent view of the reconciler for the endpoint and health: what is desired, what was
 * applied, the operations still between them, the last sync and the kernel settings.
 *
 * @param desired null until a first desired state arrives
 * @param applied null until a first successful sync
 * @param dirty the kernel's table is unknown (start, or after an error): the next sync reads it
 */
public record ReconcilerStatus(String driver, DesiredState desired, BalancerTable desiredTable, long appliedVersion,
        long appliedAtMillis, BalancerTable applied, List<TableOp> pending, int pendingForgets, boolean dirty,
        SyncRecord lastSync, long syncErrors, List<SettingCheck> settings) {

    public long desiredVersion() {
        return desired == null ? 0 : desired.version();
    }

    public String lastError() {
        return lastSync == null ? "" : lastSync.error();
    }
}
