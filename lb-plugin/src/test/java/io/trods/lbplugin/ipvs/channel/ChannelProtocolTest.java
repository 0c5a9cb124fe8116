package io.trods.lbplugin.ipvs.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChannelProtocolTest {

    @Test
    void requestIsOneLineWithBase64Payloads() {
        String line = ChannelProtocol.request("j1-7", 5, "ipvsadm -L -n", "a\nb".getBytes(StandardCharsets.UTF_8));

        // "ipvsadm -L -n" and "a\nb" in base64: no payload byte can end the line early
        assertThat(line).isEqualTo("TRODS1 j1-7 5 aXB2c2FkbSAtTCAtbg== YQpi\n");
        assertThat(ChannelProtocol.request("x", 0, "true", new byte[0])).isEqualTo("TRODS1 x 1 dHJ1ZQ== -\n");
        assertThatThrownBy(() -> ChannelProtocol.request("bad id", 1, "true", null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void responsesAreParsedAndNoiseIsNot() {
        ChannelProtocol.Response r = ChannelProtocol.parseResponse("TRODS1 j1-7 255 - U2VydmljZSBhbHJlYWR5IGV4aXN0cwo=\r\n");

        assertThat(r.id()).isEqualTo("j1-7");
        assertThat(r.result().exitCode()).isEqualTo(255);
        assertThat(r.result().stdout()).isEmpty();
        assertThat(r.result().stderr()).isEqualTo("Service already exists\n");
        for (String noise : List.of("", "init: guest up", "TRODS1 j1 x - -", "TRODS1 j1 0 !!! -", "TRODS2 j1 0 - -")) {
            assertThat(ChannelProtocol.parseResponse(noise)).as(noise).isNull();
        }
    }

    @Test
    void shellWordsSurviveTheGuestShell() {
        assertThat(ShellWords.join(List.of("ipvsadm", "-a", "-t", "10.0.0.1:80", "-w", "3")))
                .isEqualTo("ipvsadm -a -t 10.0.0.1:80 -w 3");
        assertThat(ShellWords.join(List.of("echo", "it's $HOME; rm -rf /", "")))
                .isEqualTo("echo 'it'\\''s $HOME; rm -rf /' ''");
    }
}
