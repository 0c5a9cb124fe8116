package io.trods.agent.engine;

/**
 * One tracked connection as the actuator shows it: a copy, taken on the packet thread.
 *
 * @param client the client's address:port
 * @param servicePort the local web server's port
 * @param phase where the connection stands (HANDSHAKE, AWAIT_REQUEST, AWAIT_RESPONSE, STREAMING, IDLE)
 * @param saved whether its recovery record is in the store (protected)
 * @param streamingMillis how long its current response has streamed (0 when not streaming)
 * @param silentMillis how long since its last packet
 */
public record TrackedFlow(String client, int servicePort, String phase, boolean saved, long streamingMillis,
        long silentMillis) {}
