package io.trods.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The README's main command (its demo part; ./trods demo adds setup) runs and tells the outcome. */
@Tag("lab")
class DemoIT {

    @AfterEach
    void down() {
        Lab.down();
    }

    @Test
    void theDemoCrashesTheServingServerAndReportsWhatTheClientSaw() {
        Lab.Result demo = Lab.run(List.of("env", "TRODS_HOME=" + Lab.HOME, "TRODS_DEMO_STALL_LIMIT=6",
                Lab.HOME.resolve("lab/demo.sh").toString()), 180).orFail();

        assertThat(demo.stdout())
                .contains("served by server")
                .containsPattern("server\\d crash-stopped, client had \\d+ MiB")
                .contains("Timeline")
                // Nothing recovers yet: the demo must say the download stalled (or failed), never
                // claim a completion it did not see.
                .containsPattern("Outcome: the download (is STALLED|FAILED)");
        assertThat(Lab.namespaces()).as("the demo tears its lab down").isEmpty();
    }
}
