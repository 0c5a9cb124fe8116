package io.trods.agent.app;

import io.trods.agent.pcap.PacketDump;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * The agent's settings ({@code trods.agent.*}); the defaults suit one nginx on port 80 per host.
 *
 * @param serverId this server's name in the store's index (default: the host name)
 * @param intercept whether to install the packet rules and bind the queues (off: a passive agent)
 * @param servicePort the web server's port
 * @param normalQueue NFQUEUE number of the normal path
 * @param recoveryQueue NFQUEUE number of unknown flows
 * @param upstreamHost where the local web server answers recovery's Range requests
 * @param upstreamPort its port
 * @param maxFlows connections tracked at once; beyond, new ones pass unprotected
 * @param recordTtl how long a record outlives its last save if nobody deletes it
 * @param idleFlow how long a tracked connection may stay silent before it is dropped from memory
 * @param lookupsPerSecond store lookups for unknown packets, at most
 * @param missMemory how long a lookup that found nothing is remembered
 * @param lookupRetryWindow how long an unknown flow's packets are dropped, for the client to send
 *     again, when the store did not answer its lookup (Redis slow, failing over, restarting) or too
 *     many lookups wait for it; after that the kernel answers (a reset). Default 5 s; 0: the
 *     kernel answers the first such packet
 * @param recoveryThreads connections being streamed into at once, at most
 * @param virtualAddress the address clients connect to (the VIP); prompts come from it. Without it,
 *     the failed server's clients are not prompted and recovery waits for their own retransmissions
 * @param virtualPort the port clients connect to (default: the service port)
 * @param promptsPerSecond prompts sent at most, per agent
 * @param zeroWindow advertise a zero receive window while a protected response streams, so that the
 *     withheld byte never makes a client abort a long download (default true)
 * @param zeroWindowAfter how long a response streams before its window is advertised as zero
 *     (default 1 s: short responses never need it, and keep-alive clients would wait behind it)
 * @param fastPath hand the bulk of long responses to the kernel (nftables rules, filled by the agent
 *     over netlink) instead of queueing every segment to Java (default true; off, or without
 *     nftables, every segment crosses to Java as before)
 * @param handshakeLogGroup the NFLOG group through which the agent reads copies of handshakes (SYN,
 *     SYN-ACK), which go on without waiting for it (default 2); -1: handshakes are queued and wait
 *     for the agent's verdict like the other packets, as before
 * @param logClientPackets log a client's packets on known connections to the same group instead of
 *     queueing them (default false): they then wait for no verdict, but measured in the lab 1 KiB
 *     keep-alive requests ran about 6% slower and time to first byte did not change
 * @param directSaves send the packet thread's saves on a Redis connection it writes and reads itself
 *     (default true; only for one Redis server over plain TCP, otherwise they go through Lettuce)
 * @param saveReplicas replicas of Redis that must hold a response's record before the response
 *     leaves (Redis {@code WAIT}, once per batch of saves; default 0: the primary's answer is enough).
 *     With replication being asynchronous, 0 leaves a window (the replication lag) in which a record
 *     acknowledged by a primary that then dies is lost with it. A save the replicas do not
 *     acknowledge within the save timeout fails: its response passes unprotected
 * @param handshakeSaveDelay how long a handshake's record waits before it is sent (default 2 ms): a
 *     connection whose first response is saved before that needs none. A connection whose server
 *     dies within that time, before its response is saved, is reset rather than recovered
 * @param healthCheckSources addresses or CIDRs (IPv4) of health checkers, such as the liveness
 *     monitors: their connections skip the agent's queues. They need no protection, and they must
 *     not wait in the queue behind protected traffic: measured, a burst of 300 new downloads made
 *     the monitors' probes time out and live servers were taken out of the balancer
 * @param debug debugging aids, all off by default
 */
@ConfigurationProperties("trods.agent")
public record AgentProperties(String serverId, boolean intercept, int servicePort, int normalQueue, int recoveryQueue,
        String upstreamHost, int upstreamPort, int maxFlows, Duration recordTtl, Duration idleFlow,
        int lookupsPerSecond, Duration missMemory, Duration lookupRetryWindow, int recoveryThreads, String virtualAddress, int virtualPort,
        int promptsPerSecond, Boolean zeroWindow, Duration zeroWindowAfter, Boolean fastPath,
        Integer handshakeLogGroup, boolean logClientPackets, Boolean directSaves, Integer saveReplicas, Duration handshakeSaveDelay, java.util.List<String> healthCheckSources,
        Debug debug) {

    /**
     * Debugging aids ({@code trods.agent.debug.*}).
     *
     * @param pcapFile write every queued packet to this pcap file (as queued, and a rewritten one
     *     again as it leaves); empty: no dump (the default)
     * @param pcapMaxSize what the dump may hold on disk: the file is rotated to NAME.1 at half of it
     *     (default 100 MB, at least 1 MB)
     */
    public record Debug(String pcapFile, DataSize pcapMaxSize) {

        public Debug {
            pcapFile = pcapFile == null || pcapFile.isBlank() ? null : pcapFile.strip();
            pcapMaxSize = pcapMaxSize == null ? DataSize.ofMegabytes(100) : pcapMaxSize;
            if (pcapMaxSize.toBytes() < PacketDump.MIN_MAX_BYTES) {
                throw new IllegalArgumentException("trods.agent.debug.pcap-max-size must be at least 1MB: " + pcapMaxSize);
            }
            if (pcapFile != null && !Path.of(pcapFile).isAbsolute()) {
                throw new IllegalArgumentException("trods.agent.debug.pcap-file must be an absolute path: " + pcapFile);
            }
        }

        /** Whether queued packets are dumped. */
        public boolean pcapEnabled() {
            return pcapFile != null;
        }
    }

    public AgentProperties {
        if (serverId == null || serverId.isBlank()) {
            serverId = hostName();
        }
        servicePort = servicePort == 0 ? 80 : servicePort;
        recoveryQueue = recoveryQueue == 0 && normalQueue == 0 ? 1 : recoveryQueue;
        upstreamHost = upstreamHost == null ? "127.0.0.1" : upstreamHost;
        upstreamPort = upstreamPort == 0 ? servicePort : upstreamPort;
        maxFlows = maxFlows == 0 ? 100_000 : maxFlows;
        recordTtl = recordTtl == null ? Duration.ofHours(1) : recordTtl;
        idleFlow = idleFlow == null ? Duration.ofMinutes(5) : idleFlow;
        lookupsPerSecond = lookupsPerSecond == 0 ? 5_000 : lookupsPerSecond;
        missMemory = missMemory == null ? Duration.ofSeconds(2) : missMemory;
        lookupRetryWindow = lookupRetryWindow == null ? Duration.ofSeconds(5) : lookupRetryWindow;
        if (lookupRetryWindow.isNegative() || lookupRetryWindow.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new IllegalArgumentException("trods.agent.lookup-retry-window must be between 0 and 1m: "
                    + lookupRetryWindow);
        }
        recoveryThreads = recoveryThreads == 0 ? 512 : recoveryThreads;
        virtualPort = virtualPort == 0 ? servicePort : virtualPort;
        promptsPerSecond = promptsPerSecond == 0 ? 2_000 : promptsPerSecond;
        zeroWindow = zeroWindow == null || zeroWindow;
        zeroWindowAfter = zeroWindowAfter == null ? Duration.ofSeconds(1) : zeroWindowAfter;
        fastPath = fastPath == null || fastPath;
        handshakeLogGroup = handshakeLogGroup == null ? 2 : handshakeLogGroup;
        directSaves = directSaves == null || directSaves;
        saveReplicas = saveReplicas == null ? 0 : saveReplicas;
        if (saveReplicas < 0 || saveReplicas > 16) {
            throw new IllegalArgumentException("trods.agent.save-replicas must be between 0 and 16: " + saveReplicas);
        }
        handshakeSaveDelay = handshakeSaveDelay == null ? Duration.ofMillis(2) : handshakeSaveDelay;
        if (handshakeSaveDelay.isNegative() || handshakeSaveDelay.compareTo(Duration.ofSeconds(1)) > 0) {
            throw new IllegalArgumentException("trods.agent.handshake-save-delay must be between 0 and 1s: "
                    + handshakeSaveDelay);
        }
        if (handshakeLogGroup < -1 || handshakeLogGroup > 0xFFFF) {
            throw new IllegalArgumentException("trods.agent.handshake-log-group must be -1 (off) or 0 to 65535: "
                    + handshakeLogGroup);
        }
        debug = debug == null ? new Debug(null, null) : debug;
        healthCheckSources = healthCheckSources == null ? java.util.List.of()
                : healthCheckSources.stream().map(String::strip).filter(a -> !a.isEmpty()).toList();
        for (String source : healthCheckSources) {
            if (!source.matches("(\\d{1,3}\\.){3}\\d{1,3}(/([0-9]|[12][0-9]|3[0-2]))?")
                    || java.util.Arrays.stream(source.replaceAll("/.*", "").split("\\.")).anyMatch(o -> Integer.parseInt(o) > 255)) {
                throw new IllegalArgumentException(
                        "trods.agent.health-check-sources must hold IPv4 addresses or CIDRs: " + source);
            }
        }
        if (virtualAddress != null && !virtualAddress.isBlank()
                && !virtualAddress.matches("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}")) {
            throw new IllegalArgumentException("trods.agent.virtual-address must be an IPv4 address: " + virtualAddress);
        }
        if (normalQueue == recoveryQueue) {
            throw new IllegalArgumentException("trods.agent.normal-queue and recovery-queue must differ");
        }
    }

    /** The virtual address as an int, or 0 when none is configured. */
    public int virtualAddressBits() {
        if (virtualAddress == null || virtualAddress.isBlank()) {
            return 0;
        }
        int bits = 0;
        for (String octet : virtualAddress.split("\\.")) {
            bits = bits << 8 | Integer.parseInt(octet);
        }
        return bits;
    }

    private static String hostName() {
        String name = System.getenv("HOSTNAME");
        if (name != null && !name.isBlank()) {
            return name;
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "unknown";
        }
    }
}
