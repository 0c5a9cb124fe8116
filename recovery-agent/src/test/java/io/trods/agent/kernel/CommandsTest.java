package io.trods.agent.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rule adapters' commands, with real processes: bounded in time whatever the command does. */
class CommandsTest {

    @Test
    void inputGoesInAndOutputAndStatusComeBack() throws IOException {
        Commands.Result result = Commands.run(List.of("sh", "-c", "cat; echo oops >&2; exit 3"), "table ip t {}\n");
        assertThat(result.exit()).isEqualTo(3);
        assertThat(result.output()).isEqualTo("table ip t {}\noops");
    }

    /** More than a pipe holds (64 KiB), as {@code nft list} of a table with many lanes writes. */
    @Test
    void aLongOutputIsReadWhole() throws IOException {
        Commands.Result result = Commands.run(List.of("sh", "-c", "head -c 300000 /dev/zero | tr '\\0' a"), null);
        assertThat(result.exit()).isZero();
        assertThat(result.output()).hasSize(300_000);
    }

    /** Before, the output was read to its end first, and a command that never closed it held the caller for good. */
    @Test
    void aCommandThatHangsWithItsOutputOpenIsKilledAtTheTimeout() {
        long start = System.nanoTime();
        assertThatThrownBy(() -> Commands.run(List.of("sh", "-c", "echo started; exec sleep 30"), null,
                Duration.ofMillis(300)))
                .isInstanceOf(IOException.class).hasMessageContaining("did not finish in 300 ms");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void aCommandThatNeverReadsItsInputDoesNotHoldTheCallerEither() {
        String big = "x".repeat(1 << 20); // more than a pipe holds
        assertThatThrownBy(() -> Commands.run(List.of("sleep", "30"), big, Duration.ofMillis(300)))
                .isInstanceOf(IOException.class);
    }
}
