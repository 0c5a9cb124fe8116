package io.trods.monitor;

import static org.assertj.core.api.Assertions.assertThat;

import io.trods.control.ControlCodec;
import io.trods.control.ServerOverride;
import io.trods.control.ZkLayout;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;

// Runs the real application.yml with an embedded ZooKeeper on a free port; RANDOM_PORT overrides
// server.port, and the actuator shares it.
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "trods.monitor.id=boot-test",
        "trods.monitor.zookeeper.embedded-port=0",
        "trods.monitor.services[0].name=web",
        "trods.monitor.services[0].address=198.18.0.10",
        "trods.monitor.services[0].port=80",
        "trods.monitor.services[0].scheduler=rr",
        "trods.monitor.services[0].servers[0].id=server1",
        "trods.monitor.services[0].servers[0].address=127.0.0.1",
        "trods.monitor.services[0].servers[0].port=1",
        "trods.admin.password=s3cret"})
class LivenessMonitorApplicationTest {

    @LocalManagementPort
    private int managementPort;

    @Autowired
    private CuratorFramework curator;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void healthIsUpWithZooKeeper() throws Exception {
        HttpResponse<String> response = get("/actuator/health");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"status\":\"UP\"").contains("\"monitor\"").contains("\"connection\"");
    }

    @Test
    void prometheusServesTheMonitorsMetersOpenly() throws Exception {
        HttpResponse<String> response = get("/actuator/prometheus");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).get().asString().startsWith("text/plain");
        // The single instance leads (embedded ZooKeeper): the gauge says so once it is elected.
        assertThat(response.body()).contains("# TYPE trods_monitor_leader gauge").contains("trods_monitor_leader");
    }

    @Test
    void poolShowsTheServicesAndThisInstance() throws Exception {
        HttpResponse<String> response = get("/actuator/pool");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"id\":\"boot-test\"").contains("\"name\":\"web\"")
                .contains("\"serverId\":\"server1\"").contains("\"source\":\"CONFIGURED\"");
    }

    @Test
    void drainNeedsTheAdminAndStoresAnOverride() throws Exception {
        String body = "{\"action\":\"drain\"}";

        HttpResponse<String> anonymous = post("/actuator/pool/server1", body, null);
        HttpResponse<String> wrong = post("/actuator/pool/server1", body, "admin:nope");
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(curator.checkExists().forPath(ZkLayout.defaults().override("server1"))).isNull();

        HttpResponse<String> admin = post("/actuator/pool/server1", body, "admin:s3cret");
        assertThat(admin.statusCode()).isEqualTo(200);
        ServerOverride stored = new ControlCodec().serverOverride(
                curator.getData().forPath(ZkLayout.defaults().override("server1")));
        assertThat(stored.drained()).isTrue();
        assertThat(stored.by()).isEqualTo("admin");

        HttpResponse<String> bad = post("/actuator/pool/server1", "{\"action\":\"weight\",\"weight\":0}", "admin:s3cret");
        assertThat(bad.statusCode()).isEqualTo(400);
        HttpResponse<String> weight = post("/actuator/pool/server1", "{\"action\":\"weight\",\"weight\":9}", "admin:s3cret");
        assertThat(weight.statusCode()).isEqualTo(200);
        ServerOverride weighted = new ControlCodec().serverOverride(
                curator.getData().forPath(ZkLayout.defaults().override("server1")));
        assertThat(weighted.weight()).isEqualTo(9);
        assertThat(weighted.drained()).as("a weight keeps the drain").isTrue();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String path, String json, String credentials) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (credentials != null) {
            request.header("Authorization", "Basic "
                    + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + managementPort + path);
    }
}
