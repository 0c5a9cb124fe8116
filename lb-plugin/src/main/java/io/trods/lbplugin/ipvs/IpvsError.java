package io.trods.lbplugin.ipvs;

import java.util.List;

/**
 * What an {@code ipvsadm} failure means, recognised from its message (ipvsadm prints the kernel's
 * errno as text and exits 255), with that errno. Messages as ipvsadm 1.31 prints them; "Could not
 * find destination" is an older wording of "No such destination".
 */
public enum IpvsError {
    SERVICE_EXISTS(17, "Service already exists"),
    NO_SUCH_SERVICE(3, "No such service"),
    /** Adding a real server to a service that does not exist. */
    SERVICE_NOT_DEFINED(3, "Service not defined"),
    DESTINATION_EXISTS(17, "Destination already exists"),
    NO_SUCH_DESTINATION(2, "No such destination", "Could not find destination"),
    SCHEDULER_NOT_FOUND(2, "Scheduler or persistence engine not found"),
    PERMISSION_DENIED(1, "Permission denied"),
    /** The kernel has no IPVS (module not loaded, or not built). */
    IPVS_UNAVAILABLE(92, "Can't initialize ipvs", "Protocol not available"),
    INVALID(22, "Invalid operation"),
    /** Anything else, including a tool that could not run. */
    OTHER(0);

    private final int errno;
    private final List<String> messages;

    IpvsError(int errno, String... messages) {
        this.errno = errno;
        this.messages = List.of(messages);
    }

    /** The Linux errno behind the message (EEXIST 17, ESRCH 3, ENOENT 2, ...); 0 when unknown. */
    public int errno() {
        return errno;
    }

    public static IpvsError of(String stderr) {
        String text = stderr == null ? "" : stderr;
        for (IpvsError e : values()) {
            for (String m : e.messages) {
                if (text.contains(m)) {
                    return e;
                }
            }
        }
        return OTHER;
    }
}
