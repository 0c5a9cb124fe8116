package io.trods.lbplugin.driver;

import io.trods.lbplugin.table.BalancerTable;
import io.trods.lbplugin.table.Endpoint;
import io.trods.lbplugin.table.TableOp;
import java.util.List;

/**
 * One kernel balancer (nftables, IPVS). Called from the reconciler's single thread only.
 */
public interface BalancerDriver {

    /** Short name, as published in the director's status ({@code nftables}). */
    String name();

    /** The kernel's current table, for full resyncs; an absent table is an empty one. */
    BalancerTable read() throws DriverException;

    /**
     * Makes the kernel hold {@code desired}. {@code ops} are the changes from the table the caller
     * believes the kernel has: a driver that edits in place (IPVS) applies them one by one, a
     * driver that replaces atomically (nftables) ignores them and installs {@code desired} whole.
     */
    void apply(List<TableOp> ops, BalancerTable desired) throws DriverException;

    /**
     * Makes the existing connections of a server removed from {@code service} be scheduled afresh on
     * their next packet. Called after the table without it is in place; nothing to forget is no error.
     */
    void forgetConnections(Endpoint service, String backendAddress) throws DriverException;

    /** The kernel settings TRODS needs, read (and set, where the driver is told to manage them). */
    List<SettingCheck> checkSettings();

    /**
     * The table {@link #read()} returns once {@code desired} is applied. A kernel that cannot hold
     * everything a table says (nftables has no drained members, and keeps weights only as ratios)
     * projects it here, so that a converged kernel diffs empty against its desired table.
     */
    default BalancerTable kernelView(BalancerTable desired) {
        return desired;
    }
}
