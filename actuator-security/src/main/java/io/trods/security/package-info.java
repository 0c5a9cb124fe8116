/**
 * The actuator security shared by the recovery agent, the liveness monitor and the lb-plugin
 * (an auto-configuration, so that the three cannot drift apart).
 */
package io.trods.security;
