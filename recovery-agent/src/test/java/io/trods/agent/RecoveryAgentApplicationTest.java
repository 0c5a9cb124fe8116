package io.trods.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;

// Runs the real application.yml; RANDOM_PORT overrides server.port, and the actuator shares it.
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"trods.agent.intercept=false", "spring.data.redis.port=1"})
class RecoveryAgentApplicationTest {

    @LocalManagementPort
    private int managementPort;

    @Test
    void healthSaysUnprotectedButAnswers200WithoutInterceptionOrRedis() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/health")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"status\":\"UNPROTECTED\"")
                .contains("\"protected\":false")
                .contains("\"storeReachable\":false")
                .contains("interception is off");
    }
}
