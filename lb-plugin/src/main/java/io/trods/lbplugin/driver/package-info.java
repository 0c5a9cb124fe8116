/**
 * The narrow interface to a kernel balancer: {@link io.trods.lbplugin.driver.BalancerDriver} (read,
 * apply, forget a removed server's connections, check the kernel settings TRODS needs), its typed
 * {@link io.trods.lbplugin.driver.DriverException}, and
 * {@link io.trods.lbplugin.driver.CommandRunner}, through which drivers run their tools (locally
 * with {@link io.trods.lbplugin.driver.LocalCommandRunner}, faked in tests).
 */
package io.trods.lbplugin.driver;
