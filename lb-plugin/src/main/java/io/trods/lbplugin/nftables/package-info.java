/**
 * The nftables driver: {@link io.trods.lbplugin.nftables.NftablesRenderer} (pure: a table to one
 * atomic {@code nft -f -} transaction), {@link io.trods.lbplugin.nftables.NftablesTableReader}
 * (pure: {@code nft -j} output back to a table), and the adapter
 * {@link io.trods.lbplugin.nftables.NftablesDriver}, which runs {@code nft} and {@code conntrack}
 * through a {@link io.trods.lbplugin.driver.CommandRunner} and checks (optionally sets) the sysctls
 * through {@link io.trods.lbplugin.nftables.SysctlFiles}.
 */
package io.trods.lbplugin.nftables;
