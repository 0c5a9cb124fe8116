/** The agent as a Spring Boot application: settings, wiring, lifecycle, health and metrics. */
package io.trods.agent.app;
