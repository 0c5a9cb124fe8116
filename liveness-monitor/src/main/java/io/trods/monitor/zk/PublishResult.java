package io.trods.monitor.zk;

import io.trods.control.DesiredState;
import io.trods.monitor.decision.Outcome;

/**
 * What one publication attempt did.
 *
 * @param current the document in ZooKeeper after the attempt (null if unknown or absent)
 * @param outcome the decision computed (null if none was)
 */
public record PublishResult(Kind kind, DesiredState current, Outcome outcome, String detail) {

    public enum Kind {
        /** Not the leader, or the connection is not CONNECTED/RECONNECTED: nothing read or written. */
        NOT_ALLOWED,
        /** The decision equals the published one. */
        UNCHANGED,
        /** New members have no verdict yet and the warm-up is not over. */
        WARMING_UP,
        PUBLISHED,
        /** Someone else wrote in between (a newer leader): re-read on the next evaluation. */
        CONFLICT,
        ERROR
    }
}
