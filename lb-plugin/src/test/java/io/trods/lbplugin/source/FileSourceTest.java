package io.trods.lbplugin.source;

import static io.trods.lbplugin.reconcile.States.server;
import static io.trods.lbplugin.reconcile.States.web;
import static org.assertj.core.api.Assertions.assertThat;

import io.trods.control.ControlCodec;
import io.trods.control.DesiredState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSourceTest {

    @TempDir
    Path dir;

    private final ControlCodec codec = new ControlCodec();
    private final List<DesiredState> received = new ArrayList<>();

    @Test
    void readsValidStatesOnceAndCountsInvalidOnes() throws Exception {
        Path file = dir.resolve("desired.json");
        FileSource source = new FileSource(file, Duration.ofSeconds(1), codec, s -> received.add(s));

        source.poll();
        assertThat(source.status().connection()).isEqualTo("MISSING");
        assertThat(source.status().failStatic()).isTrue();

        Files.write(file, codec.encode(web(1, server(1, 1))));
        source.poll();
        source.poll(); // unchanged: not handed on again
        assertThat(received).extracting(DesiredState::version).containsExactly(1L);
        assertThat(source.status().connected()).isTrue();

        Files.writeString(file, "{\"version\": 0}");
        source.poll();
        assertThat(received).hasSize(1);
        assertThat(source.status().invalidDocuments()).isEqualTo(1);
        assertThat(source.status().lastSeenVersion()).isEqualTo(1);
        source.close();
    }
}
