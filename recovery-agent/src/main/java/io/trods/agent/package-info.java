/**
 * TRODS recovery agent: one instance per web server, running beside the unmodified server.
 *
 * <p>It intercepts the server's TCP flows, withholds the acknowledgement of the last byte of each
 * request, saves per-flow recovery state to Redis, and, when another server fails, takes over and
 * recovers that server's in-flight flows. To be built; for now only the application shell exists.
 */
package io.trods.agent;
