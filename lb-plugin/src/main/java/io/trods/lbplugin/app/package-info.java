/**
 * Spring wiring: {@code trods.balancer.*} properties ({@link io.trods.lbplugin.app.BalancerProperties}),
 * the beans ({@link io.trods.lbplugin.app.BalancerConfiguration}), the {@code balancer} actuator
 * endpoint, the health indicator, Micrometer meters, and the actuator's security (reads open,
 * writes need the admin user).
 */
package io.trods.lbplugin.app;
