/**
 * TRODS load-balancer plugin: one instance per balancer (director) host.
 *
 * <p>It reconciles the kernel's L4 balancer table (IPVS or nftables) with the desired backend set
 * published by the liveness monitor. To be built; for now only the application shell exists.
 */
package io.trods.lbplugin;
