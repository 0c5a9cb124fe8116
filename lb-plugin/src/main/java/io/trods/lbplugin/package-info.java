/**
 * TRODS load-balancer plugin: one instance per balancer (director) host. It reads the desired
 * backend table that the liveness monitor's leader publishes in ZooKeeper (or a file), programs the
 * kernel's balancer to match (nftables now; IPVS later, behind the same driver interface), makes a
 * failed server's connections be balanced afresh, and publishes what it applied.
 *
 * <p>Packages: {@code table} (pure model and diff), {@code driver} (the kernel interface),
 * {@code nftables} (the driver), {@code reconcile} (convergence), {@code source} (ZooKeeper, file),
 * {@code status} (publication), {@code app} (Spring wiring).
 */
package io.trods.lbplugin;
