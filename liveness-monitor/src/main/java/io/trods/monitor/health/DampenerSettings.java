package io.trods.monitor.health;

/**
 * @param fall consecutive failures that take a server down
 * @param rise consecutive successes that bring it up
 * @param maxTransitions more UP/DOWN changes than this within {@code windowMillis} is flapping
 */
public record DampenerSettings(int fall, int rise, long windowMillis, int maxTransitions, long holdDownMillis) {

    public DampenerSettings {
        if (fall < 1 || rise < 1 || windowMillis < 1 || maxTransitions < 1 || holdDownMillis < 1) {
            throw new IllegalArgumentException("dampener settings must all be positive: " + fall + "/" + rise + "/"
                    + windowMillis + "/" + maxTransitions + "/" + holdDownMillis);
        }
    }
}
