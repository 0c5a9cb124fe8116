package io.trods.agent.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.trods.agent.flow.FlowKey;
import io.trods.agent.flow.FlowRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.data.redis.connection.RedisSentinelConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * The store with Redis replication, as an operator runs it when one Redis is not enough: a primary,
 * a replica and a sentinel (Debian's redis-server, on free loopback ports), and the connection
 * factories Spring Boot builds from {@code spring.data.redis.sentinel.*} or {@code .host}. When the
 * primary is killed, saves fail fast while there is none (the agent's fail-open), go to the
 * promoted replica afterwards without restarting anything, and the records written before the
 * crash are found there. With {@code save-replicas} a save completes only once a replica holds
 * it (WAIT), once per batch on the direct connection.
 */
@Tag("lab")
class RedisReplicationIT {

    private static final String MASTER = "trods";

    @TempDir
    Path dir;

    private LocalRedis servers;
    private Process primary;
    private int primaryPort;
    private int replicaPort;
    private int sentinelPort;
    private Process replica;
    private LettuceConnectionFactory connections;
    private RedisFlowStore store;

    @BeforeEach
    void start() throws Exception {
        servers = new LocalRedis(dir);
        primaryPort = LocalRedis.freePort();
        replicaPort = LocalRedis.freePort();
        int sentinelPort = LocalRedis.freePort();
        primary = servers.server("primary", primaryPort);
        replica = servers.server("replica", replicaPort, "--replicaof", "127.0.0.1", Integer.toString(primaryPort));
        servers.awaitLog("replica", "MASTER <-> REPLICA sync: Finished with success");
        Path conf = dir.resolve("sentinel.conf");
        Files.writeString(conf, """
                bind 127.0.0.1
                port %d
                dir %s
                sentinel monitor %s 127.0.0.1 %d 1
                sentinel down-after-milliseconds %s 300
                sentinel failover-timeout %s 3000
                """.formatted(sentinelPort, dir, MASTER, primaryPort, MASTER, MASTER));
        servers.start("sentinel", "redis-server", conf.toString(), "--sentinel");
        servers.awaitLog("sentinel", "+monitor master " + MASTER);

        this.sentinelPort = sentinelPort;
    }

    /** The store through Sentinel ({@code sentinel}) or straight to the primary. */
    private void connect(boolean sentinel, int saveReplicas) {
        // The typed constructors, as Spring Boot calls them (the factory's standalone settings are
        // what the direct connection reads).
        LettuceClientConfiguration client = LettuceClientConfiguration.builder().commandTimeout(Duration.ofMillis(500))
                .build();
        connections = sentinel
                ? new LettuceConnectionFactory(new RedisSentinelConfiguration().master(MASTER)
                        .sentinel("127.0.0.1", sentinelPort), client)
                : new LettuceConnectionFactory(new org.springframework.data.redis.connection.RedisStandaloneConfiguration(
                        "127.0.0.1", primaryPort), client);
        connections.afterPropertiesSet();
        connections.start();
        store = new RedisFlowStore(connections, Duration.ofSeconds(30), Duration.ofMillis(200), true, saveReplicas);
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (store != null) {
            store.close();
        }
        if (connections != null) {
            connections.destroy();
        }
        if (servers != null) {
            servers.close();
        }
    }

    @Test
    void afterThePrimaryDiesSavesGoToThePromotedReplicaAndEarlierRecordsAreThere() throws Exception {
        connect(true, 0);
        assertThat(store.answerFd()).as("no direct connection behind Sentinel: saves go through Lettuce").isNegative();
        List<FlowKey> before = new ArrayList<>();
        for (int port = 40_000; port < 40_020; port++) {
            settle(store.saveAsync(record(port)), 5);
            before.add(record(port).key());
        }
        // Replicated before the crash (asynchronous replication: a save answered by the primary
        // alone can be lost with it; that window is what this waits out).
        assertThat(LocalRedis.cli(primaryPort, "WAIT", "1", "2000").strip()).isEqualTo("1");

        primary.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        long crashed = System.nanoTime();

        // Fail-open: while there is no primary, every save fails within its bound, none hangs.
        int failed = 0;
        long firstSuccessMillis = -1;
        for (int port = 41_000; firstSuccessMillis < 0; port++) {
            assertThat(System.nanoTime() - crashed).as("a save succeeded again within 30 s of the crash")
                    .isLessThan(TimeUnit.SECONDS.toNanos(30));
            CompletableFuture<Void> save = store.saveAsync(record(port));
            if (settle(save, 2)) {
                firstSuccessMillis = (System.nanoTime() - crashed) / 1_000_000;
            } else {
                failed++;
                Thread.sleep(50);
            }
        }
        assertThat(failed).as("saves failed while no primary was elected").isPositive();
        servers.awaitLog("sentinel", "+switch-master " + MASTER + " 127.0.0.1 " + primaryPort + " 127.0.0.1 " + replicaPort);
        assertThat(LocalRedis.cli(replicaPort, "ROLE")).as("the replica was promoted").startsWith("master");

        for (FlowKey key : before) {
            assertThat(store.find(key)).as("%s saved before the crash, found after it", key).isPresent();
        }
        assertThat(store.claimFlowsOf("server1", 100)).as("the index came along").containsAll(before);
        System.out.printf("sentinel failover: first save on the new primary %d ms after the crash, %d failed before%n",
                firstSuccessMillis, failed);
    }

    /**
     * save-replicas 1 on the direct connection: a batch of saves costs one WAIT, each save
     * completes only once the replica holds it, and without the replica every save fails within
     * its bound (its response would pass unprotected) instead of counting as durable.
     */
    @Test
    void withSaveReplicasABatchWaitsOnceForTheReplicaAndFailsWithoutIt() throws Exception {
        connect(false, 1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (store.answerFd() < 0) { // the packet thread's own connection opens in the background
            assertThat(System.nanoTime()).as("the direct connection opened").isLessThan(deadline);
            settle(store.saveAsync(record(39_999)), 5);
        }
        long waitsBefore = waits();
        List<CompletableFuture<Void>> batch = new ArrayList<>();
        for (int port = 42_000; port < 42_010; port++) {
            batch.add(store.saveAsync(record(port)));
        }
        for (CompletableFuture<Void> save : batch) {
            assertThat(settle(save, 5)).as("a save the replica acknowledged").isTrue();
        }
        assertThat(waits() - waitsBefore).as("WAITs for a batch of 10 saves (before: %d)\n%s", waitsBefore,
                LocalRedis.cli(primaryPort, "INFO", "commandstats")).isEqualTo(1);
        assertThat(LocalRedis.cli(replicaPort, "EXISTS", record(42_009).key().storageKey()).strip())
                .as("the last save of the batch is on the replica when it completes").isEqualTo("1");

        replica.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        long start = System.nanoTime();
        assertThat(settle(store.saveAsync(record(42_100)), 2)).as("a save no replica acknowledged").isFalse();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("failed within its bound (ms)")
                .isLessThan(1_000);
        assertThat(store.reachable()).as("the primary itself still answers").isTrue();
    }

    /** @see #withSaveReplicasABatchWaitsOnceForTheReplicaAndFailsWithoutIt, through Lettuce (Sentinel) */
    @Test
    void withSaveReplicasBehindSentinelASaveFailsWhileNoReplicaHoldsIt() throws Exception {
        connect(true, 1);
        assertThat(settle(store.saveAsync(record(43_000)), 5)).as("acknowledged by the replica").isTrue();
        replica.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        assertThat(settle(store.saveAsync(record(43_001)), 2)).as("with the replica gone").isFalse();
    }

    private long waits() throws IOException, InterruptedException {
        return LocalRedis.cli(primaryPort, "INFO", "commandstats").lines().filter(l -> l.startsWith("cmdstat_wait:"))
                .map(l -> Long.parseLong(l.replaceAll("^cmdstat_wait:calls=(\\d+),.*", "$1"))).findFirst().orElse(0L);
    }

    /**
     * Flushes and reads answers as the packet thread would, until the save is done or
     * {@code seconds} pass: true when it succeeded, false when it failed.
     */
    private boolean settle(CompletableFuture<Void> save, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!save.isDone()) {
            assertThat(System.nanoTime()).as("the save settles within %d s (success or failure)", seconds)
                    .isLessThan(deadline);
            store.flush();
            store.readAnswers();
            Thread.sleep(1);
        }
        return !save.isCompletedExceptionally();
    }

    private static FlowRecord record(int clientPort) {
        return new FlowRecord(new FlowKey(0xC6120002, clientPort, 80), "server1", 1460, 7, 7, true, true, 100,
                "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), 5000,
                "HTTP/1.1 200 OK\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), 1L);
    }
}
