package io.trods.monitor.zk;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.zookeeper.server.embedded.ExitHandler;
import org.apache.zookeeper.server.embedded.ZooKeeperServerEmbedded;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node ZooKeeper inside the monitor, for a single-director setup that has no ensemble. Its
 * data lives in {@code dataDir} (a temporary directory when none is given, so nothing survives a
 * restart: the operators' overrides then need a real directory).
 */
public final class EmbeddedZooKeeper implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedZooKeeper.class);

    private final ZooKeeperServerEmbedded server;
    private final String connectString;

    public EmbeddedZooKeeper(int port, String dataDir) throws Exception {
        Path dir = dataDir.isBlank() ? Files.createTempDirectory("trods-monitor-zk") : Files.createDirectories(Path.of(dataDir));
        int clientPort = port == 0 ? freePort() : port;
        Properties config = new Properties();
        config.setProperty("clientPort", Integer.toString(clientPort));
        config.setProperty("clientPortAddress", "0.0.0.0");
        config.setProperty("tickTime", "500"); // sessions of 1-10 s (2 to 20 ticks)
        config.setProperty("admin.enableServer", "false");
        config.setProperty("4lw.commands.whitelist", "ruok,stat,mntr");
        server = ZooKeeperServerEmbedded.builder().baseDir(dir).configuration(config)
                .exitHandler(ExitHandler.LOG_ONLY).build();
        server.start(10_000);
        connectString = "127.0.0.1:" + clientPort;
        log.info("embedded ZooKeeper listening on port {}, data in {}", clientPort, dir);
    }

    public String connectString() {
        return connectString;
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
