/**
 * Reconciliation: {@link io.trods.lbplugin.reconcile.Reconciler} brings the kernel's table to the
 * newest desired state through a {@link io.trods.lbplugin.driver.BalancerDriver} (partial syncs from
 * what it applied, full resyncs from what the kernel holds after an error or on a timer), and
 * forgets the connections of servers that left a service once the new table is in place.
 * {@link io.trods.lbplugin.reconcile.ReconcileLoop} runs it on one thread with a throttle that
 * coalesces bursts, retry backoff and the periodic resync.
 */
package io.trods.lbplugin.reconcile;
