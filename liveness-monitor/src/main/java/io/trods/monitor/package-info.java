/**
 * TRODS liveness monitor: several instances run, one leader is elected through ZooKeeper (Curator).
 *
 * <p>The leader probes the web servers and publishes the desired backend set for the load
 * balancer. To be built; for now only the application shell exists.
 */
package io.trods.monitor;
