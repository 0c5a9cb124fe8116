package io.trods.control;

import java.util.regex.Pattern;

/**
 * The znodes of the control plane, under one root (default {@code /trods}), so that several TRODS
 * clusters can share an ensemble.
 *
 * <pre>
 * ROOT/desired               the leader's DesiredState (persistent, written with compare-and-set)
 * ROOT/monitor/leader        Curator LeaderLatch of the liveness monitors
 * ROOT/agents/SERVER         AgentRegistration (ephemeral: present while the agent runs)
 * ROOT/overrides/SERVER      ServerOverride: drain / weight set by an operator (persistent)
 * ROOT/directors/DIRECTOR    DirectorStatus: what that lb-plugin applied (ephemeral)
 * </pre>
 */
public record ZkLayout(String root) {

    public static final String DEFAULT_ROOT = "/trods";

    private static final Pattern ROOT = Pattern.compile("(/[A-Za-z0-9_.-]+)+");
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    public ZkLayout {
        if (root == null || !ROOT.matcher(root).matches()) {
            throw new IllegalArgumentException("ZooKeeper root must look like /trods, got '" + root + "'");
        }
    }

    public static ZkLayout defaults() {
        return new ZkLayout(DEFAULT_ROOT);
    }

    public String desired() {
        return root + "/desired";
    }

    public String leaderLatch() {
        return root + "/monitor/leader";
    }

    public String agents() {
        return root + "/agents";
    }

    public String agent(String serverId) {
        return agents() + "/" + checkId(serverId);
    }

    public String overrides() {
        return root + "/overrides";
    }

    public String override(String serverId) {
        return overrides() + "/" + checkId(serverId);
    }

    public String directors() {
        return root + "/directors";
    }

    public String director(String directorId) {
        return directors() + "/" + checkId(directorId);
    }

    /** Server, director and service ids become znode names: a safe, short alphabet only. */
    public static String checkId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IllegalArgumentException("an id must be 1-64 of [A-Za-z0-9_.-], got '" + id + "'");
        }
        return id;
    }

    /** This host's name made a valid id (for default instance ids), or {@code fallback}. */
    public static String hostId(String fallback) {
        try {
            String name = java.net.InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9_.-]", "-");
            return name.isEmpty() ? fallback : name.length() > 64 ? name.substring(0, 64) : name;
        } catch (java.net.UnknownHostException e) {
            return fallback;
        }
    }

    /** The last component of a znode path (a child's id). */
    public static String lastName(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }
}
