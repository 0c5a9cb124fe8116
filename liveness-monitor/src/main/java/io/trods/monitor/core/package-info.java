/**
 * One monitor instance put together: {@link io.trods.monitor.core.MonitorCore} joins the probes,
 * the dampened health, the ZooKeeper view, the leader election and the publisher, with no Spring in
 * it, so that tests run several instances in one JVM.
 */
package io.trods.monitor.core;
