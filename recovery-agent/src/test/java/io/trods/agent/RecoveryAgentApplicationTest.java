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
        properties = {"trods.agent.intercept=false", "spring.data.redis.port=1", "trods.admin.password=s3cret"})
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

    @Test
    void theFlowsEndpointListsAPageAndRefusesOversizedPages() throws Exception {
        String base = "http://127.0.0.1:" + managementPort + "/actuator/flows";
        HttpResponse<String> ok = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "?size=10")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.body()).contains("\"tracked\":0").contains("\"size\":10").contains("\"recovering\":[]");
        HttpResponse<String> tooBig = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(base + "?size=100000")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(tooBig.statusCode()).isEqualTo(400);
    }

    @Test
    void prometheusServesTheAgentsMetersOpenly() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/actuator/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).get().asString().startsWith("text/plain");
        // Registered at start, before any flow: what a scraper sees on an idle agent.
        assertThat(response.body()).contains("# TYPE trods_agent_flows_opened_total counter")
                .contains("trods_agent_flows_opened_total").contains("trods_agent_store_failures_total");
    }

    @Test
    void writeOperationsNeedTheAdminsCredentials() throws Exception {
        String url = "http://127.0.0.1:" + managementPort + "/actuator/prompt/server9";
        assertThat(post(url, null)).isEqualTo(401);
        assertThat(post(url, "admin:wrong")).isEqualTo(401);
        // Past security; the agent then refuses because interception is off (prompting needs it).
        assertThat(post(url, "admin:s3cret")).isNotIn(401, 403).isGreaterThanOrEqualTo(400);
    }

    private static int post(String url, String credentials) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.noBody());
        if (credentials != null) {
            request.header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(credentials.getBytes()));
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
