package io.trods.control;

/**
 * An operator's setting for one server, stored in ZooKeeper so that it survives monitor restarts
 * and leader changes. {@code weight} null keeps the configured weight.
 */
public record ServerOverride(String serverId, boolean drained, Integer weight, String by, long atMillis) {

    public ServerOverride {
        ZkLayout.checkId(serverId);
        if (weight != null && (weight < 1 || weight > Backend.MAX_WEIGHT)) {
            throw new IllegalArgumentException("weight must be 1.." + Backend.MAX_WEIGHT + " (drain to stop new connections), got " + weight);
        }
        by = by == null ? "" : by;
    }
}
