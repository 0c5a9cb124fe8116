package io.trods.control;

/**
 * A server the monitor took out of a virtual service because it failed (not an operator's drain).
 * Its connections must move: the lb-plugin makes their next packets reach a survivor and the
 * surviving agents prompt its clients. {@code sinceMillis} is when the monitor decided it.
 */
public record FailedServer(String serverId, String address, String reason, long sinceMillis) {

    public FailedServer {
        ZkLayout.checkId(serverId);
        Validation.ipv4(address, "failed server address");
        reason = reason == null ? "" : reason;
    }
}
