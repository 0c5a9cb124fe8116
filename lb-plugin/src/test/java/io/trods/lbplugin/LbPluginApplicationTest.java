package io.trods.lbplugin;

import static io.trods.lbplugin.reconcile.States.server;
import static io.trods.lbplugin.reconcile.States.web;
import static org.assertj.core.api.Assertions.assertThat;

import io.trods.control.ControlCodec;
import io.trods.lbplugin.driver.BalancerDriver;
import io.trods.lbplugin.reconcile.Await;
import io.trods.lbplugin.reconcile.FakeKernelDriver;
import io.trods.lbplugin.table.BalancerTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.context.bean.override.convention.TestBean;

/**
 * The real application.yml and wiring, with the desired state from a file (no ZooKeeper here) and a
 * fake kernel (the test must not touch this machine's nftables). RANDOM_PORT overrides server.port,
 * and the actuator shares it.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "trods.balancer.source=file", "trods.balancer.director-id=test-director",
        "trods.admin.password=s3cret", "trods.balancer.file-poll-interval=100ms"})
class LbPluginApplicationTest {

    private static final Path DESIRED = desiredFile();
    private static final FakeKernelDriver KERNEL = new FakeKernelDriver();

    @TestBean(name = "balancerDriver")
    private BalancerDriver balancerDriver;

    @LocalManagementPort
    private int managementPort;

    private final HttpClient http = HttpClient.newHttpClient();

    static BalancerDriver balancerDriver() {
        return KERNEL;
    }

    @DynamicPropertySource
    static void desiredStateFile(DynamicPropertyRegistry registry) {
        registry.add("trods.balancer.file", DESIRED::toString);
    }

    @Test
    void appliesTheFileAndReportsIt() throws Exception {
        Await.until("the fake kernel holds the file's table", Duration.ofSeconds(10),
                () -> KERNEL.kernel().equals(BalancerTable.from(web(7, server(1, 1), server(2, 0)))));

        HttpResponse<String> health = send(get("/actuator/health"));
        HttpResponse<String> balancer = send(get("/actuator/balancer"));

        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"UP\"").contains("\"appliedVersion\":7");
        assertThat(balancer.statusCode()).isEqualTo(200);
        assertThat(balancer.body()).contains("\"driver\":\"fake\"").contains("\"directorId\":\"test-director\"")
                .contains("\"appliedVersion\":7").contains("\"198.19.0.12:80\":0").contains("\"pending\":[]")
                .contains("\"kind\":\"file\"");
    }

    @Test
    void metricsAreExposed() throws Exception {
        Await.until("a sync happened", Duration.ofSeconds(10), () -> KERNEL.applyCalls > 0);

        HttpResponse<String> sync = send(get("/actuator/metrics/trods.balancer.sync"));
        HttpResponse<String> version = send(get("/actuator/metrics/trods.balancer.applied.version"));

        assertThat(sync.statusCode()).isEqualTo(200);
        assertThat(sync.body()).contains("\"kind\"");
        assertThat(version.body()).contains("\"value\":7.0");
    }

    @Test
    void prometheusServesThePluginsMetersOpenly() throws Exception {
        Await.until("a sync happened", Duration.ofSeconds(10), () -> KERNEL.applyCalls > 0);

        HttpResponse<String> response = send(get("/actuator/prometheus"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).get().asString().startsWith("text/plain");
        assertThat(response.body()).contains("trods_balancer_applied_version 7.0")
                .contains("trods_balancer_sync_seconds_count{kind=");
    }

    @Test
    void forcedResyncNeedsTheAdminPassword() throws Exception {
        assertThat(send(post(null)).statusCode()).isEqualTo(401);
        assertThat(send(post("admin:wrong")).statusCode()).isEqualTo(401);
        int reads = KERNEL.readCalls;

        HttpResponse<String> accepted = send(post("admin:s3cret"));

        assertThat(accepted.statusCode()).isEqualTo(200);
        assertThat(accepted.body()).contains("requested");
        Await.until("the forced resync read the kernel", Duration.ofSeconds(5), () -> KERNEL.readCalls > reads);
    }

    private HttpRequest get(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + path)).build();
    }

    private HttpRequest post(String credentials) {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + managementPort + "/actuator/balancer"))
                .POST(HttpRequest.BodyPublishers.noBody());
        if (credentials != null) {
            request.header("Authorization",
                    "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
        }
        return request.build();
    }

    private HttpResponse<String> send(HttpRequest request) throws Exception {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static Path desiredFile() {
        try {
            Path file = Files.createTempFile("trods-desired", ".json");
            file.toFile().deleteOnExit();
            Files.write(file, new ControlCodec().encode(web(7, server(1, 1), server(2, 0))));
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
