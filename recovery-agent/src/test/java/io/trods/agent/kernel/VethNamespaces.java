package io.trods.agent.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Two network namespaces of one test class, a client and a server joined by a veth pair (veth0 in
 * the client, veth1 in the server, one /24), with handles that run code in them. Each class names
 * its own, since other lab ITs may run at the same time. Closing kills what was started through it
 * (by PID) and deletes both namespaces; creating first deletes any that a killed run left.
 */
final class VethNamespaces implements AutoCloseable {

    final String clientName;
    final String serverName;
    final NetNamespace client;
    final NetNamespace server;
    private final List<Process> started = new ArrayList<>();

    private VethNamespaces(String clientName, String serverName, NetNamespace client, NetNamespace server) {
        this.clientName = clientName;
        this.serverName = serverName;
        this.client = client;
        this.server = server;
    }

    /** @param clientAddress the client's address with its prefix, {@code 198.18.98.1/24} */
    static VethNamespaces create(String clientName, String serverName, String clientAddress, String serverAddress)
            throws Exception {
        delete(clientName, serverName);
        NetNamespace client = null;
        try {
            run("ip", "netns", "add", clientName);
            run("ip", "netns", "add", serverName);
            run("ip", "-n", clientName, "link", "add", "veth0", "type", "veth", "peer", "name", "veth1", "netns",
                    serverName);
            run("ip", "-n", clientName, "addr", "add", clientAddress, "dev", "veth0");
            run("ip", "-n", serverName, "addr", "add", serverAddress, "dev", "veth1");
            for (String[] link : new String[][] {{clientName, "veth0"}, {clientName, "lo"}, {serverName, "veth1"},
                    {serverName, "lo"}}) {
                run("ip", "-n", link[0], "link", "set", link[1], "up");
            }
            client = NetNamespace.open(clientName);
            return new VethNamespaces(clientName, serverName, client, NetNamespace.open(serverName));
        } catch (Exception | Error e) {
            if (client != null) {
                client.close();
            }
            delete(clientName, serverName);
            throw e;
        }
    }

    /** Starts a long-running command (a capture, say), killed by PID when this closes. */
    Process start(String... command) throws IOException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        started.add(p);
        return p;
    }

    /** Runs a short command through the agent's own {@link Commands} (killed after 10 s); fails on a non-zero exit. */
    static String run(String... command) throws Exception {
        Commands.Result result = Commands.run(List.of(command), null);
        if (result.exit() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + result.exit() + ": " + result.output());
        }
        return result.output();
    }

    @Override
    public void close() throws Exception {
        try {
            client.close();
            server.close();
        } finally {
            for (Process p : started) {
                if (p.isAlive()) {
                    p.destroyForcibly();
                }
            }
            delete(clientName, serverName);
            assertThat(run("ip", "netns", "list")).doesNotContain(clientName, serverName);
        }
    }

    private static void delete(String... names) throws Exception {
        List<String> wanted = List.of(names);
        for (String line : run("ip", "netns", "list").split("\n")) {
            String name = line.split(" ")[0];
            if (wanted.contains(name)) {
                run("ip", "netns", "delete", name);
            }
        }
    }
}
