package io.trods.monitor.decision;

/** Why a server is a member of a virtual service. */
public enum MemberSource {
    /** Listed in the monitor's configuration. */
    CONFIGURED,
    /** Its recovery agent's registration names the service. */
    REGISTERED,
    /** Neither, but the last published document still lists it (a vanished registration is a hint only). */
    REMEMBERED
}
