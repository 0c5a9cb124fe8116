/**
 * The ZooKeeper adapters: the read side every instance keeps ({@link io.trods.monitor.zk.ControlPlaneView}),
 * the leader's compare-and-set {@link io.trods.monitor.zk.Publisher}, the operators'
 * {@link io.trods.monitor.zk.OverrideStore}, and an {@link io.trods.monitor.zk.EmbeddedZooKeeper}
 * for setups without an ensemble.
 */
package io.trods.monitor.zk;
