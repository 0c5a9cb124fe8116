package io.trods.agent.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import io.trods.agent.netlink.NetlinkBuffer;
import io.trods.agent.netlink.Nfqueue;
import io.trods.agent.netlink.QueuedPacket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The packet thread waits in {@code recv} for its queues; a save that completes on another thread
 * must get it out at once, not after the receive timeout. Real kernel, in a namespace of its own.
 */
@Tag("lab")
class NfQueueWakeUpIT {

    static final String NS = "trods-it-wakeup";

    @Test
    void anotherThreadWakesTheReceiverUpWithAnAcknowledgement() throws Exception {
        new ProcessBuilder("ip", "netns", "delete", NS).start().waitFor(5, TimeUnit.SECONDS); // left by a killed run
        assertThat(new ProcessBuilder("ip", "netns", "add", NS).start().waitFor()).isZero();
        try (NetNamespace ns = NetNamespace.open(NS)) {
            NfQueueSocket socket = ns.call(() -> NfQueueSocket.open(new int[] {7}, 16, Nfqueue.FLAG_FAIL_OPEN, 5000));
            try {
                NetlinkBuffer in = new NetlinkBuffer(NfQueueSocket.BUFFER_BYTES);
                CompletableFuture.runAsync(socket::wakeUp, CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS));
                long start = System.nanoTime();
                int n = socket.receive(in);
                long millis = (System.nanoTime() - start) / 1_000_000;

                assertThat(n).as("woken with a message, not by the 5 s timeout").isPositive();
                assertThat(millis).isLessThan(3_000);
                QueuedPacket message = new QueuedPacket();
                Nfqueue.parse(in, 0, n, message);
                assertThat(message.kind).as("an acknowledgement, which the loop skips").isEqualTo(QueuedPacket.Kind.ACK);
            } finally {
                socket.close();
            }
        } finally {
            new ProcessBuilder("ip", "netns", "delete", NS).start().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
