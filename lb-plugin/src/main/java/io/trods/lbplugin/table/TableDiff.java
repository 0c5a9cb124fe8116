package io.trods.lbplugin.table;

import io.trods.lbplugin.table.TableOp.AddBackend;
import io.trods.lbplugin.table.TableOp.AddService;
import io.trods.lbplugin.table.TableOp.DeleteBackend;
import io.trods.lbplugin.table.TableOp.DeleteService;
import io.trods.lbplugin.table.TableOp.EditBackend;
import io.trods.lbplugin.table.TableOp.EditService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The minimal ordered operations that turn one table into another. Order: backend deletions, service
 * deletions, service edits, service additions, backend edits, backend additions; so that an
 * operation never refers to something not yet created or already gone, and a removed server stops
 * receiving new connections before anything else happens.
 */
public final class TableDiff {

    private TableDiff() {}

    public static List<TableOp> between(BalancerTable from, BalancerTable to) {
        List<TableOp> deleteBackends = new ArrayList<>();
        List<TableOp> deleteServices = new ArrayList<>();
        List<TableOp> editServices = new ArrayList<>();
        List<TableOp> addServices = new ArrayList<>();
        List<TableOp> editBackends = new ArrayList<>();
        List<TableOp> addBackends = new ArrayList<>();

        for (TableService old : from.services().values()) {
            if (to.service(old.key()) == null) {
                deleteServices.add(new DeleteService(old.key()));
            }
        }
        for (TableService target : to.services().values()) {
            TableService old = from.service(target.key());
            if (old == null) {
                addServices.add(new AddService(target.key(), target.scheduler(), target.forwarding()));
                target.backends().forEach((backend, weight) ->
                        addBackends.add(new AddBackend(target.key(), backend, weight, target.forwarding())));
                continue;
            }
            if (!old.sameAttributes(target)) {
                editServices.add(new EditService(target.key(), target.scheduler(), target.forwarding()));
            }
            boolean forwardingChanged = !old.forwarding().equals(target.forwarding());
            for (Endpoint backend : old.backends().keySet()) {
                if (!target.backends().containsKey(backend)) {
                    deleteBackends.add(new DeleteBackend(target.key(), backend));
                }
            }
            for (Map.Entry<Endpoint, Integer> e : target.backends().entrySet()) {
                Integer oldWeight = old.backends().get(e.getKey());
                if (oldWeight == null) {
                    addBackends.add(new AddBackend(target.key(), e.getKey(), e.getValue(), target.forwarding()));
                } else if (oldWeight.intValue() != e.getValue() || forwardingChanged) {
                    editBackends.add(new EditBackend(target.key(), e.getKey(), e.getValue(), target.forwarding()));
                }
            }
        }
        List<TableOp> ops = new ArrayList<>(deleteBackends);
        ops.addAll(deleteServices);
        ops.addAll(editServices);
        ops.addAll(addServices);
        ops.addAll(editBackends);
        ops.addAll(addBackends);
        return List.copyOf(ops);
    }

    /** Applies operations to a table, as a kernel that accepted them all would end up. */
    public static BalancerTable apply(BalancerTable table, List<TableOp> ops) {
        TableEditor editor = new TableEditor(table);
        for (TableOp op : ops) {
            editor.apply(op);
        }
        return editor.table();
    }
}
