package io.trods.lbplugin.app;

import io.trods.lbplugin.driver.SettingCheck;
import io.trods.lbplugin.reconcile.ReconcilerStatus;
import io.trods.lbplugin.reconcile.SyncRecord;
import io.trods.lbplugin.source.SourceStatus;
import io.trods.lbplugin.table.BalancerTable;
import io.trods.lbplugin.table.TableOp;
import io.trods.lbplugin.table.TableService;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What {@code GET /actuator/balancer} shows: applied against desired, and why they may differ. */
public record BalancerReport(String driver, String directorId, long appliedVersion, long appliedAtMillis,
        List<ServiceView> applied, long desiredVersion, List<ServiceView> desired, List<String> pending,
        int pendingConnectionFlushes, boolean fullResyncDue, LastSync lastSync, long syncErrors,
        List<SettingCheck> settings, List<String> warnings, SourceStatus source) {

    /** One service; backends map {@code address:port} to weight (0 = drained). */
    public record ServiceView(String service, String scheduler, String forwarding, Map<String, Integer> backends) {}

    public record LastSync(long atMillis, double durationMillis, boolean full, int operations, int forgotten,
            long version, String error) {}

    static BalancerReport of(String directorId, ReconcilerStatus status, SourceStatus source) {
        SyncRecord last = status.lastSync();
        return new BalancerReport(status.driver(), directorId, status.appliedVersion(), status.appliedAtMillis(),
                view(status.applied()), status.desiredVersion(), view(status.desiredTable()),
                status.pending().stream().map(BalancerReport::describe).toList(), status.pendingForgets(),
                status.dirty(),
                last == null ? null : new LastSync(last.atMillis(), last.durationMillis(), last.full(), last.operations(),
                        last.forgotten(), last.desiredVersion(), last.error()),
                status.syncErrors(), status.settings(),
                status.settings().stream().filter(s -> !s.ok()).map(SettingCheck::warning).toList(), source);
    }

    private static List<ServiceView> view(BalancerTable table) {
        if (table == null) {
            return List.of();
        }
        return table.services().values().stream().map(BalancerReport::view).toList();
    }

    private static ServiceView view(TableService service) {
        Map<String, Integer> backends = new LinkedHashMap<>();
        service.backends().forEach((endpoint, weight) -> backends.put(endpoint.toString(), weight));
        return new ServiceView(service.key().toString(), service.scheduler(), service.forwarding(), backends);
    }

    static String describe(TableOp op) {
        if (op instanceof TableOp.AddService a) {
            return "add service " + a.service() + " " + a.scheduler() + " " + a.forwarding();
        } else if (op instanceof TableOp.EditService e) {
            return "edit service " + e.service() + " " + e.scheduler() + " " + e.forwarding();
        } else if (op instanceof TableOp.DeleteService d) {
            return "delete service " + d.service();
        } else if (op instanceof TableOp.AddBackend a) {
            return "add backend " + a.backend() + " weight " + a.weight() + " to " + a.service();
        } else if (op instanceof TableOp.EditBackend e) {
            return "set backend " + e.backend() + " weight " + e.weight() + " in " + e.service();
        } else if (op instanceof TableOp.DeleteBackend d) {
            return "delete backend " + d.backend() + " from " + d.service();
        }
        return op.toString();
    }
}
