/**
 * The monitor's {@code trods.monitor.*} settings, with their defaults and the checks that stop a
 * misconfigured instance at startup rather than letting it publish a wrong table.
 */
package io.trods.monitor.config;
