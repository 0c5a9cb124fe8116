package io.trods.monitor.health;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DampenerTest {

    // fall 2, rise 3, more than 4 UP/DOWN changes in 10 s holds down for 30 s.
    private static final DampenerSettings SETTINGS = new DampenerSettings(2, 3, 10_000, 4, 30_000);

    /** Feeds 's' (success) / 'f' (failure) one every 100 ms; returns the states moved to, joined. */
    private static String run(Dampener d, String probes, long startMillis) {
        List<String> moves = new ArrayList<>();
        long t = startMillis;
        for (char c : probes.toCharArray()) {
            for (Transition tr : d.record(c == 's', "connect timed out after 150 ms", t)) {
                moves.add(tr.to().name());
            }
            t += 100;
        }
        return String.join(">", moves);
    }

    @ParameterizedTest(name = "{0} -> {1} via [{2}]")
    @CsvSource(delimiter = '|', value = {
            // probes         | final state | transitions
            "s                | UNKNOWN     | ''",
            "ss               | UNKNOWN     | ''",
            "sss              | UP          | UP",
            "f                | UNKNOWN     | ''",
            "ff               | DOWN        | DOWN",
            "sfsfsf           | UNKNOWN     | ''",
            "sssf             | UP          | UP",
            "sssfsf           | UP          | UP",
            "sssff            | DOWN        | UP>DOWN",
            "sssffss          | DOWN        | UP>DOWN",
            "sssffsss         | UP          | UP>DOWN>UP",
            "ffsssff          | DOWN        | DOWN>UP>DOWN",
            // asymmetric: one failure among successes restarts the rise count
            "ffssfsss         | UP          | DOWN>UP",
            // UP>DOWN>UP>DOWN>UP>(5th change) -> held down instead
            "sssffsssffsssffsss | HELD_DOWN | UP>DOWN>UP>DOWN>UP>HELD_DOWN",
            // held down: successes do not count
            "sssffsssffsssffsssssssss | HELD_DOWN | UP>DOWN>UP>DOWN>UP>HELD_DOWN",
    })
    void followsTheThresholds(String probes, HealthState expected, String transitions) {
        Dampener d = new Dampener(SETTINGS, 0);
        assertThat(run(d, probes.trim(), 0)).isEqualTo(transitions.trim());
        assertThat(d.state()).isEqualTo(expected);
    }

    @Test
    void reasonsSayWhy() {
        Dampener d = new Dampener(SETTINGS, 0);
        run(d, "sss", 0);
        List<Transition> down = new ArrayList<>(d.record(false, "connect timed out after 150 ms", 1000));
        down.addAll(d.record(false, "connect timed out after 150 ms", 1100));
        assertThat(down).singleElement().satisfies(t -> {
            assertThat(t.from()).isEqualTo(HealthState.UP);
            assertThat(t.to()).isEqualTo(HealthState.DOWN);
            assertThat(t.reason()).isEqualTo("2 consecutive failures: connect timed out after 150 ms");
            assertThat(t.atMillis()).isEqualTo(1100);
        });
        assertThat(d.sinceMillis()).isEqualTo(1100);
    }

    @Test
    void flappingIsHeldDownThenRisesAgainAfterTheHoldDown() {
        Dampener d = new Dampener(SETTINGS, 0);
        assertThat(run(d, "sssffsssffsss", 0)).isEqualTo("UP>DOWN>UP>DOWN>UP");
        List<Transition> last = new ArrayList<>(d.record(false, "connection refused", 1300));
        last.addAll(d.record(false, "connection refused", 1400));
        assertThat(last).singleElement().extracting(Transition::reason)
                .isEqualTo("flapping: 5 transitions in 10 s, held down for 30 s");
        assertThat(d.state()).isEqualTo(HealthState.HELD_DOWN);
        assertThat(d.state().down()).isTrue();

        // Within the hold-down (until 31 400): successes are ignored.
        assertThat(run(d, "sssss", 20_000)).isEmpty();
        // After it: DOWN at once, then rise successes in all bring it UP.
        assertThat(run(d, "s", 31_400)).isEqualTo("DOWN");
        assertThat(run(d, "ss", 31_500)).isEqualTo("UP");
        assertThat(d.state()).isEqualTo(HealthState.UP);
    }

    @Test
    void changesOutsideTheWindowAreNotFlapping() {
        Dampener d = new Dampener(SETTINGS, 0);
        // Five UP/DOWN changes, but 3 s apart: never more than 4 within 10 s.
        String moves = run(d, "sss", 0) + ">" + run(d, "ff", 3_000) + ">" + run(d, "sss", 6_000) + ">"
                + run(d, "ff", 9_000) + ">" + run(d, "sss", 12_000) + ">" + run(d, "ff", 15_000);
        assertThat(moves).isEqualTo("UP>DOWN>UP>DOWN>UP>DOWN");
        assertThat(d.state()).isEqualTo(HealthState.DOWN);
    }
}
