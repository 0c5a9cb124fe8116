/**
 * Spring wiring: the {@code trods.monitor.*} properties, the embedded ZooKeeper when none is
 * configured, the {@code pool} actuator endpoint, the health indicator and the admin security of the
 * actuator's write operations.
 */
package io.trods.monitor.app;
