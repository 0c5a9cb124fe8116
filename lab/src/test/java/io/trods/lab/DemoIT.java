package io.trods.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The README's main command (its demo part; ./trods demo adds setup) runs, and the download it
 * interrupts completes byte-identical on the survivor; with TRODS_DEMO_BASELINE=1 it stalls.
 */
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
                .containsPattern("out of the balancer: detected by the liveness monitors, applied by the lb-plugin \\(\\d+\\.\\d+ s after the crash\\)")
                .containsPattern("the survivors' agents prompt its clients \\(\\d+\\.\\d+ s after the crash\\)")
                .contains("Timeline")
                .containsPattern("a survivor's agent recovers the connection \\(\\d+\\.\\d+ s after the crash\\)")
                .containsPattern("Outcome: the download COMPLETED, byte-identical \\(sha256 ef386df6")
                .containsPattern("server\\d's agent recovered it");
        assertThat(Lab.namespaces()).as("the demo tears its lab down").isEmpty();
    }

    @Test
    void withoutTrodsTheSameDemoShowsTheStall() {
        Lab.Result demo = Lab.run(List.of("env", "TRODS_HOME=" + Lab.HOME, "TRODS_DEMO_STALL_LIMIT=6",
                "TRODS_DEMO_BASELINE=1", Lab.HOME.resolve("lab/demo.sh").toString()), 180).orFail();

        assertThat(demo.stdout()).containsPattern("Outcome: the download (is STALLED|FAILED)")
                .doesNotContain("COMPLETED");
    }
}
