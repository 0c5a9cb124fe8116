/**
 * The IPVS driver, through {@code ipvsadm}: {@link io.trods.lbplugin.ipvs.IpvsCommands} (pure: a
 * table operation to an {@code ipvsadm} argv), {@link io.trods.lbplugin.ipvs.IpvsTableReader}
 * (pure: {@code ipvsadm -Ln} back to a table), {@link io.trods.lbplugin.ipvs.IpvsError} (what an
 * {@code ipvsadm} message means, with its errno), {@link io.trods.lbplugin.ipvs.Sysctls} (kernel
 * settings through {@code sysctl}), and the adapter {@link io.trods.lbplugin.ipvs.IpvsDriver}. Every
 * tool runs through a {@link io.trods.lbplugin.driver.CommandRunner}: locally in production, through
 * a qemu guest's control channel ({@link io.trods.lbplugin.ipvs.channel}) in the lab.
 */
package io.trods.lbplugin.ipvs;
