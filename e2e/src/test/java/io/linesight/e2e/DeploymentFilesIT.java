package io.linesight.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import io.linesight.common.Defaults;
import io.linesight.common.FrameSizeLimit;
import io.linesight.common.Topic;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.common.utils.AppInfoParser;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml, deploy/k8s and deploy/grafana cannot run here: this parses them and checks that ports, topics,
 * consumer groups, volumes and environment variables agree with the services' own configuration.
 */
class DeploymentFilesIT {
    private static final Path ROOT = PrometheusServer.DEPLOY.getParent();
    /** Service -> HTTP port, from application.properties (Quarkus' default 8080 when unset). */
    private static final Map<String, Integer> PORTS = Map.of("ingest", port("ingest"), "classifier", port("classifier"),
            "trainer", port("trainer"));

    @Test
    void composeRunsTheServicesWithTheirOwnPortsEnvironmentAndVolumes() throws Exception {
        JsonNode compose = PrometheusServer.YAML.readTree(ROOT.resolve("docker-compose.yml").toFile());
        JsonNode services = compose.get("services");
        for (String name : List.of("kafka", "redis", "prometheus", "grafana", "ingest", "classifier", "classifier-gpu", "trainer")) {
            assertTrue(services.has(name), "compose has no " + name);
        }
        assertEquals("apache/kafka:" + AppInfoParser.getVersion(), services.get("kafka").get("image").asText(),
                "broker version = kafka-clients version");
        for (String name : List.of("ingest", "classifier", "classifier-gpu", "trainer")) {
            JsonNode service = services.get(name);
            String module = name.replace("-gpu", "");
            int port = PORTS.get(module);
            assertEquals(port + ":" + port, service.get("ports").get(0).asText(), name + " port");
            Path dockerfile = ROOT.resolve(service.get("build").get("context").asText()).resolve(service.get("build").get("dockerfile").asText());
            assertTrue(Files.isRegularFile(dockerfile), dockerfile + " missing");
            assertTrue(Files.readString(dockerfile).contains("EXPOSE " + port), dockerfile + " exposes " + port);
            service.get("environment").fieldNames().forEachRemaining(env -> assertReadBy(module, env));
            assertEquals("kafka:9092", service.get("environment").get("KAFKA_BOOTSTRAP_SERVERS").asText());
        }
        JsonNode gpu = services.get("classifier-gpu");
        assertEquals("gpu", gpu.get("profiles").get(0).asText());
        assertEquals("nvidia", gpu.at("/deploy/resources/reservations/devices/0/driver").asText());
        assertEquals("gpu", gpu.get("environment").get("LINESIGHT_CLASSIFIER_DEVICE").asText());

        JsonNode trainer = services.get("trainer");
        String registryPath = trainer.get("environment").get("LINESIGHT_REGISTRY_DIR").asText();
        assertTrue(trainer.get("volumes").toString().contains("registry:" + Path.of(registryPath).getParent()),
                "the registry volume holds " + registryPath);
        for (String name : List.of("ingest", "classifier", "classifier-gpu", "trainer")) {
            assertEquals("unless-stopped", services.get(name).get("restart").asText(), name + " restarts when it exits");
        }
        assertFalse(services.get("classifier").path("volumes").toString().contains("registry"),
                "classifiers fetch over HTTP, never mount the registry");
        assertFalse(services.get("classifier").path("volumes").toString().contains("signing-key"),
                "classifiers see the public key only");
        String trusted = services.get("classifier").get("environment").get("LINESIGHT_CLASSIFIER_TRUSTED_KEYS").asText();
        assertTrue(services.get("classifier").get("volumes").toString().contains("trusted-keys:" + Path.of(trusted).getParent()),
                "the trusted-keys volume holds " + trusted);
        assertTrue(services.get("keys").get("entrypoint").toString().contains(" keys --out "), "the keys service makes the pair");
        assertEquals("http://trainer:" + PORTS.get("trainer"), trainer.get("environment").get("LINESIGHT_REGISTRY_PUBLIC_URL").asText());

        // Prometheus scrapes the compose services at their ports; Grafana reads the provisioned folders.
        JsonNode prometheus = PrometheusServer.YAML.readTree(ROOT.resolve("deploy/prometheus/prometheus.yml").toFile());
        for (JsonNode job : prometheus.get("scrape_configs")) {
            String module = job.get("job_name").asText().replace("linesight-", "");
            assertEquals(module + ":" + PORTS.get(module), job.at("/static_configs/0/targets/0").asText());
            assertEquals("/q/metrics", job.get("metrics_path").asText());
        }
        assertTrue(services.get("prometheus").get("volumes").get(0).asText().startsWith("./deploy/prometheus:/etc/prometheus"));
        JsonNode provider = PrometheusServer.YAML.readTree(ROOT.resolve("deploy/grafana/provisioning/dashboards/linesight.yml").toFile());
        String dashboardsPath = provider.at("/providers/0/options/path").asText();
        assertTrue(services.get("grafana").get("volumes").toString().contains("./deploy/grafana/dashboards:" + dashboardsPath));
        assertTrue(services.get("grafana").get("volumes").toString().contains("./deploy/grafana/provisioning:/etc/grafana/provisioning"));
    }

    @Test
    void grafanaDashboardsHaveWhatProvisioningNeedsAndUseTheProvisionedDatasource() throws Exception {
        JsonNode datasources = PrometheusServer.YAML.readTree(ROOT.resolve("deploy/grafana/provisioning/datasources/prometheus.yml").toFile());
        assertEquals(1, datasources.get("apiVersion").asInt());
        JsonNode datasource = datasources.at("/datasources/0");
        assertEquals("prometheus", datasource.get("type").asText());
        assertEquals("http://prometheus:9090", datasource.get("url").asText());
        String uid = datasource.get("uid").asText();
        try (var files = Files.list(ROOT.resolve("deploy/grafana/dashboards"))) {
            for (Path file : files.toList()) {
                JsonNode dashboard = PrometheusServer.JSON.readTree(file.toFile());
                for (String field : List.of("uid", "title", "schemaVersion", "panels")) {
                    assertTrue(dashboard.has(field), file + " lacks " + field);
                }
                Set<Integer> ids = new HashSet<>();
                for (JsonNode panel : dashboard.get("panels")) {
                    assertTrue(ids.add(panel.get("id").asInt()), "duplicate panel id " + panel.get("id"));
                    for (String field : List.of("type", "title", "gridPos", "targets")) {
                        assertTrue(panel.has(field), panel.get("title") + " lacks " + field);
                    }
                    assertEquals(uid, panel.at("/datasource/uid").asText(), panel.get("title") + " datasource");
                    for (JsonNode target : panel.get("targets")) {
                        assertFalse(target.get("expr").asText().isBlank());
                        assertFalse(target.get("expr").asText().contains("or vector(0)"), "forced data in " + panel.get("title"));
                        assertEquals(uid, target.at("/datasource/uid").asText());
                    }
                }
            }
        }
    }

    @Test
    void kubernetesManifestsAgreeWithTheServicesAndTopics() throws Exception {
        Map<String, JsonNode> byKindAndName = new HashMap<>();
        JsonNode kustomization = PrometheusServer.YAML.readTree(ROOT.resolve("deploy/k8s/kustomization.yaml").toFile());
        for (JsonNode resource : kustomization.get("resources")) {
            for (JsonNode doc : documents(ROOT.resolve("deploy/k8s").resolve(resource.asText()))) {
                byKindAndName.put(doc.get("kind").asText() + "/" + doc.at("/metadata/name").asText(), doc);
            }
        }
        for (String module : PORTS.keySet()) {
            JsonNode workload = byKindAndName.getOrDefault("Deployment/" + module, byKindAndName.get("StatefulSet/" + module));
            assertNotNull(workload, "no workload for " + module);
            JsonNode pod = workload.at("/spec/template");
            int port = PORTS.get(module);
            assertEquals(Integer.toString(port), pod.at("/metadata/annotations").get("prometheus.io/port").asText());
            assertEquals("/q/metrics", pod.at("/metadata/annotations").get("prometheus.io/path").asText());
            JsonNode container = pod.at("/spec/containers/0");
            assertEquals(port, container.at("/ports/0/containerPort").asInt());
            container.path("env").forEach(env -> assertReadBy(module, env.get("name").asText()));
            assertEquals(port, byKindAndName.get("Service/" + module).at("/spec/ports/0/port").asInt());
        }
        byKindAndName.get("ConfigMap/linesight").get("data").fieldNames().forEachRemaining(env -> PORTS.keySet().stream()
                .filter(m -> !env.startsWith("QUARKUS_REDIS") || !m.equals("trainer")).forEach(m -> assertReadBy(m, env)));

        JsonNode classifier = byKindAndName.get("Deployment/classifier");
        assertEquals(1, classifier.at("/spec/template/spec/containers/0/resources/limits").get("nvidia.com/gpu").asInt());
        assertFalse(classifier.toString().contains("persistentVolumeClaim"), "classifier pods never mount the registry");
        JsonNode scaler = byKindAndName.get("ScaledObject/classifier");
        assertEquals("classifier", scaler.at("/spec/scaleTargetRef/name").asText());
        assertEquals(Topic.FRAMES.topicName(), scaler.at("/spec/triggers/0/metadata/topic").asText());
        assertEquals(properties("classifier").getProperty("mp.messaging.incoming.frames.group.id"),
                scaler.at("/spec/triggers/0/metadata/consumerGroup").asText());

        JsonNode trainer = byKindAndName.get("StatefulSet/trainer");
        assertEquals(1, trainer.at("/spec/replicas").asInt());
        assertEquals("registry", trainer.at("/spec/volumeClaimTemplates/0/metadata/name").asText());
        String mount = trainer.at("/spec/template/spec/containers/0/volumeMounts/0/mountPath").asText();
        trainer.at("/spec/template/spec/containers/0/env").forEach(env -> {
            if (env.get("name").asText().equals("LINESIGHT_REGISTRY_DIR")) {
                assertTrue(env.get("value").asText().startsWith(mount + "/"), "registry on the volume");
            }
        });

        // The topic Job creates every topic with the settings the services give it.
        String script = byKindAndName.get("Job/linesight-topics").at("/spec/template/spec/containers/0/args/0").asText();
        FrameSizeLimit limit = new FrameSizeLimit(Integer.parseInt(properties("ingest").getProperty("linesight.frames.max-bytes")));
        Duration retention = Defaults.topicSettings().framesRetention();
        // A production cluster has at least 3 brokers: the Job sizes replication as the services would fit it there.
        int minInsync = Defaults.topicSettings().minInsyncReplicas(3);
        assertTrue(script.contains("--replication-factor " + Defaults.topicSettings().replicationFactor(3) + " "), script);
        for (Topic topic : Topic.values()) {
            Matcher line = Pattern.compile("create " + Pattern.quote(topic.topicName()) + "((?: --config \\S+)*)\\s*\n").matcher(script);
            assertTrue(line.find(), "the topic Job does not create " + topic.topicName());
            Map<String, String> configs = new HashMap<>();
            for (String setting : line.group(1).trim().split("\\s*--config\\s+")) {
                if (!setting.isBlank()) {
                    configs.put(setting.substring(0, setting.indexOf('=')), setting.substring(setting.indexOf('=') + 1));
                }
            }
            assertEquals(topic.configs(limit, retention, minInsync), configs, topic.topicName());
        }
    }

    @Test
    void promtoolAcceptsTheConfigAndEveryAlertsTestCases() throws Exception {
        Path prometheus = ROOT.resolve("deploy/prometheus");
        assertEquals("", promtool(prometheus, "check", "config", "prometheus.yml"));
        assertEquals("", promtool(prometheus.resolve("rules"), "test", "rules", "linesight.rules.test.yml"));
        JsonNode rules = PrometheusServer.YAML.readTree(prometheus.resolve("rules/linesight.rules.yml").toFile());
        String tests = Files.readString(prometheus.resolve("rules/linesight.rules.test.yml"));
        for (JsonNode group : rules.get("groups")) {
            for (JsonNode rule : group.get("rules")) {
                if (rule.has("alert")) {
                    assertTrue(tests.contains("alertname: " + rule.get("alert").asText()), "no promtool test for " + rule.get("alert"));
                }
            }
        }
    }

    /** Runs promtool in {@code dir}; empty when it succeeds, else its output. */
    private static String promtool(Path dir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("promtool"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return process.waitFor() == 0 ? "" : output;
    }

    /** Fails unless the service reads the variable: a ${VAR} reference or the env form of one of its properties. */
    private static void assertReadBy(String module, String env) {
        Properties properties = properties(module);
        boolean read = properties.values().stream().anyMatch(v -> v.toString().contains("${" + env))
                || properties.stringPropertyNames().stream().anyMatch(k -> envName(k).equals(env));
        assertTrue(read, module + " does not read " + env);
    }

    private static String envName(String property) {
        return property.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    /**
     * What a service reads: the kit's config groups (their defaults), the kit's shared wiring, then the service's own
     * application.properties, in the order the services resolve them.
     */
    private static Properties properties(String module) {
        Properties properties = new Properties();
        properties.putAll(Map.of("linesight.frames.max-bytes", Defaults.MAX_FRAME_BYTES, "linesight.frames.max-pixels",
                Defaults.MAX_PIXELS, "linesight.frames.max-decoded-bytes", Defaults.MAX_DECODED_BYTES, "linesight.frames.decode-heap-share",
                Defaults.DECODE_HEAP_SHARE, "linesight.frames.retention", Defaults.FRAMES_RETENTION, "linesight.topics.partitions",
                Defaults.PARTITIONS, "linesight.topics.replication-factor", Defaults.REPLICATION_FACTOR,
                "linesight.topics.min-insync-replicas", Defaults.MIN_INSYNC_REPLICAS, "linesight.model.name", Defaults.MODEL_NAME));
        for (Path file : List.of(ROOT.resolve("libs/service-kit/src/main/resources/META-INF/microprofile-config.properties"),
                ROOT.resolve("services").resolve(module).resolve("src/main/resources/application.properties"))) {
            try (Reader reader = Files.newBufferedReader(file)) {
                properties.load(reader);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return properties;
    }

    private static int port(String module) {
        return Integer.parseInt(properties(module).getProperty("quarkus.http.port", "8080"));
    }

    private static List<JsonNode> documents(Path file) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = PrometheusServer.YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
            while (it.hasNext()) {
                docs.add(it.next());
            }
        }
        return docs;
    }
}
