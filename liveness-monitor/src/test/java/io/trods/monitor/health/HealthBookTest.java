package io.trods.monitor.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.trods.monitor.probe.ProbeOutcome;
import io.trods.monitor.probe.ProbeResult;
import io.trods.monitor.probe.ProbeSpec;
import io.trods.monitor.probe.ProbeTarget;
import io.trods.monitor.probe.ServerEndpoint;
import org.junit.jupiter.api.Test;

/** One server in two services with their own probe settings: two health records, each dampened by its own spec. */
class HealthBookTest {

    private static final ServerEndpoint SERVER = new ServerEndpoint("10.0.0.1", 80);

    @Test
    void eachSpecDampensItsOwnRecordOfTheSameServer() {
        ProbeSpec quick = new ProbeSpec("http", "/healthz", 200, 0, 50, 150, 500, 1, 1);
        ProbeSpec patient = new ProbeSpec("http", "/healthz", 200, 0, 50, 150, 500, 3, 1);
        HealthBook book = new HealthBook(s -> new DampenerSettings(s.fall(), s.rise(), 10_000, 4, 30_000), () -> 0L);
        ProbeTarget a = new ProbeTarget(SERVER, quick);
        ProbeTarget b = new ProbeTarget(SERVER, patient);
        for (ProbeTarget t : new ProbeTarget[] {a, b}) {
            book.record(t, new ProbeResult(ProbeOutcome.SUCCESS, 100, "200", 1));
        }
        assertThat(book.view(a).state()).isEqualTo(HealthState.UP);
        assertThat(book.view(b).state()).isEqualTo(HealthState.UP);

        for (ProbeTarget t : new ProbeTarget[] {a, b}) {
            book.record(t, new ProbeResult(ProbeOutcome.TIMEOUT, 150_000, "timed out", 2));
        }
        assertThat(book.view(a).state()).as("fall 1").isEqualTo(HealthState.DOWN);
        assertThat(book.view(b).state()).as("fall 3").isEqualTo(HealthState.UP);
        assertThat(book.view(new ProbeTarget(new ServerEndpoint("10.0.0.9", 80), quick))).isSameAs(HealthView.UNKNOWN);
    }
}
