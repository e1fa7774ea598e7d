package io.linesight.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.linesight.localstack.ServiceProcess;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Debian's Prometheus as a child process running deploy/prometheus/prometheus.yml with its rules, its targets
 * pointed at the test's services and a 1 s scrape/evaluation interval; queried through its HTTP API.
 */
final class PrometheusServer implements AutoCloseable {
    static final Path DEPLOY = Path.of(System.getProperty("linesight.root", "..")).resolve("deploy").toAbsolutePath().normalize();
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final ServiceProcess process;

    private PrometheusServer(ServiceProcess process) {
        this.process = process;
    }

    /** @param targets host:port per job name of deploy/prometheus/prometheus.yml */
    static PrometheusServer start(Map<String, String> targets) throws Exception {
        Path work = Files.createDirectories(Path.of("target/e2e/prometheus").toAbsolutePath());
        ObjectNode config = (ObjectNode) YAML.readTree(DEPLOY.resolve("prometheus/prometheus.yml").toFile());
        ((ObjectNode) config.get("global")).put("scrape_interval", "1s").put("evaluation_interval", "1s");
        ArrayNode rules = config.putArray("rule_files");
        YAML.readTree(DEPLOY.resolve("prometheus/prometheus.yml").toFile()).get("rule_files")
                .forEach(r -> rules.add(DEPLOY.resolve("prometheus").resolve(r.asText()).toString()));
        for (JsonNode job : config.get("scrape_configs")) {
            String target = targets.get(job.get("job_name").asText());
            if (target == null) {
                throw new IllegalArgumentException("no test target for job " + job.get("job_name"));
            }
            ((ArrayNode) job.get("static_configs").get(0).get("targets")).removeAll().add(target);
        }
        Path file = work.resolve("prometheus.yml");
        YAML.writeValue(file.toFile(), config);
        int port = ServiceProcess.freePort();
        PrometheusServer server = new PrometheusServer(ServiceProcess.program("prometheus", port, List.of("prometheus",
                "--config.file=" + file, "--storage.tsdb.path=" + work.resolve("data-" + port),
                "--web.listen-address=127.0.0.1:" + port)));
        server.process.awaitHealthy("/-/ready", Duration.ofMinutes(1));
        return server;
    }

    /** An instant query's JSON answer ({"status": ..., "data": {"resultType", "result"}}). */
    JsonNode query(String promql) throws Exception {
        String url = process.url("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(response.body());
    }

    /** Scrape targets that are not up yet. */
    List<String> targetsDown() throws Exception {
        JsonNode targets = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(process.url("/api/v1/targets"))).build(),
                HttpResponse.BodyHandlers.ofString()).body()).get("data").get("activeTargets");
        List<String> down = new ArrayList<>();
        targets.forEach(t -> {
            if (!"up".equals(t.get("health").asText())) {
                down.add(t.get("labels").get("job").asText() + ": " + t.get("lastError").asText());
            }
        });
        return down;
    }

    @Override
    public void close() throws InterruptedException {
        process.close();
    }
}
