/**
 * TRODS liveness monitor: several instances run, Curator elects one leader through ZooKeeper; every
 * instance probes every web server, and only the leader publishes the desired backend set of each
 * virtual service ({@code DesiredState}) with a compare-and-set. Pure logic lives in
 * {@code health} and {@code decision}; {@code probe} and {@code zk} are the adapters;
 * {@code core} joins them and {@code app} is the Spring wiring.
 */
package io.trods.monitor;
