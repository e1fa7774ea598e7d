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
import java.net.URI;
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
        // The file as docker-compose itself reads it (anchors merged, defaults filled): its own check runs first.
        JsonNode compose = PrometheusServer.YAML.readTree(tool(ROOT, "docker-compose", "-f", "docker-compose.yml", "config"));
        JsonNode services = compose.get("services");
        List<String> brokers = List.of("kafka-1", "kafka-2", "kafka-3");
        for (String name : List.of("kafka-1", "kafka-2", "kafka-3", "redis", "mqtt", "prometheus", "grafana", "ingest", "classifier",
                "classifier-gpu", "trainer", "trainer-standby")) {
            assertTrue(services.has(name), "compose has no " + name);
        }
        for (String classifier : List.of("classifier", "classifier-gpu")) {
            assertEquals("mqtt", services.get(classifier).at("/environment/LINESIGHT_MQTT_HOST").asText(),
                    classifier + " sends decisions to the compose MQTT broker");
        }
        // A KRaft cluster of 3: every node a voter, Kafka's own topics replicated as LineSight's.
        for (String broker : brokers) {
            JsonNode env = services.get(broker).get("environment");
            assertEquals("apache/kafka:" + AppInfoParser.getVersion(), services.get(broker).get("image").asText(),
                    "broker version = kafka-clients version");
            assertEquals("1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093", env.get("KAFKA_CONTROLLER_QUORUM_VOTERS").asText());
            assertEquals("PLAINTEXT://" + broker + ":9092", env.get("KAFKA_ADVERTISED_LISTENERS").asText());
            assertEquals(Integer.toString(Defaults.topicSettings().replicationFactor(3)), env.get("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR").asText());
            assertEquals(Integer.toString(Defaults.topicSettings().replicationFactor(3)), env.get("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR").asText());
            assertEquals(Integer.toString(Defaults.topicSettings().minInsyncReplicas(3)), env.get("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR").asText());
        }
        Map<String, String> modules = Map.of("ingest", "ingest", "classifier", "classifier", "classifier-gpu", "classifier",
                "trainer", "trainer", "trainer-standby", "trainer");
        for (Map.Entry<String, String> entry : modules.entrySet()) {
            JsonNode service = services.get(entry.getKey());
            String module = entry.getValue();
            int port = PORTS.get(module);
            if (!entry.getKey().equals("trainer-standby")) {
                assertEquals(port, service.at("/ports/0/published").asInt(), entry.getKey() + " port");
                assertEquals(port, service.at("/ports/0/target").asInt(), entry.getKey() + " port");
            }
            Path dockerfile = ROOT.resolve(service.get("build").get("context").asText()).resolve(service.get("build").get("dockerfile").asText());
            assertTrue(Files.isRegularFile(dockerfile), dockerfile + " missing");
            assertTrue(Files.readString(dockerfile).contains("EXPOSE " + port), dockerfile + " exposes " + port);
            service.get("environment").fieldNames().forEachRemaining(env -> assertReadBy(module, env));
            JsonNode env = service.get("environment");
            assertEquals(String.join(",", brokers.stream().map(b -> b + ":9092").toList()), env.get("KAFKA_BOOTSTRAP_SERVERS").asText(),
                    entry.getKey() + " takes the full bootstrap list");
            assertEquals(Integer.toString(Defaults.topicSettings().replicationFactor(3)), env.get("LINESIGHT_TOPICS_REPLICATION_FACTOR").asText());
            assertEquals(Integer.toString(Defaults.topicSettings().minInsyncReplicas(3)), env.get("LINESIGHT_TOPICS_MIN_INSYNC_REPLICAS").asText());
            assertEquals("unless-stopped", service.get("restart").asText(), entry.getKey() + " restarts when it exits");
            assertTrue(service.at("/healthcheck/test").toString().contains("http://localhost:" + port + "/q/health/live"),
                    entry.getKey() + " checks its liveness");
            for (String broker : brokers) {
                assertEquals("service_healthy", service.at("/depends_on/" + broker + "/condition").asText(), entry.getKey() + " waits for " + broker);
            }
        }
        JsonNode gpu = services.get("classifier-gpu");
        assertEquals("gpu", gpu.get("profiles").get(0).asText());
        assertEquals("nvidia", gpu.at("/deploy/resources/reservations/devices/0/driver").asText());
        assertEquals("gpu", gpu.get("environment").get("LINESIGHT_CLASSIFIER_DEVICE").asText());

        // Two trainers on one registry volume, each with its own samples, both answering to the address pointers name.
        JsonNode trainer = services.get("trainer");
        JsonNode standby = services.get("trainer-standby");
        String registryPath = trainer.get("environment").get("LINESIGHT_REGISTRY_DIR").asText();
        String samplesPath = trainer.get("environment").get("LINESIGHT_TRAINER_SAMPLES_DIR").asText();
        String publicUrl = trainer.get("environment").get("LINESIGHT_REGISTRY_PUBLIC_URL").asText();
        for (JsonNode t : List.of(trainer, standby)) {
            assertEquals(registryPath, t.get("environment").get("LINESIGHT_REGISTRY_DIR").asText());
            assertEquals(publicUrl, t.get("environment").get("LINESIGHT_REGISTRY_PUBLIC_URL").asText());
            assertTrue(t.get("volumes").toString().contains("\"registry:" + Path.of(registryPath).getParent() + ":"),
                    "the registry volume holds " + registryPath);
            assertTrue(t.at("/networks/default/aliases").toString().contains("\"" + URI.create(publicUrl).getHost() + "\""),
                    "both trainers answer to " + publicUrl);
        }
        assertTrue(trainer.get("volumes").toString().contains("\"trainer-samples:" + samplesPath + ":"));
        assertTrue(standby.get("volumes").toString().contains("\"trainer-standby-samples:" + samplesPath + ":"), "samples of its own");
        assertEquals(publicUrl + "/registry/", services.get("classifier").get("environment").get("LINESIGHT_CLASSIFIER_REGISTRY_URLS").asText());
        assertEquals("http://registry:" + PORTS.get("trainer"), publicUrl);
        assertFalse(services.get("classifier").path("volumes").toString().contains("registry"),
                "classifiers fetch over HTTP, never mount the registry");
        assertFalse(services.get("classifier").path("volumes").toString().contains("signing-key"),
                "classifiers see the public key only");
        String trusted = services.get("classifier").get("environment").get("LINESIGHT_CLASSIFIER_TRUSTED_KEYS").asText();
        assertTrue(services.get("classifier").get("volumes").toString().contains("trusted-keys:" + Path.of(trusted).getParent()),
                "the trusted-keys volume holds " + trusted);
        assertTrue(services.get("keys").get("entrypoint").toString().contains(" keys --out "), "the keys service makes the pair");

        // Prometheus scrapes the compose services at their ports; Grafana reads the provisioned folders.
        JsonNode prometheus = PrometheusServer.YAML.readTree(ROOT.resolve("deploy/prometheus/prometheus.yml").toFile());
        for (JsonNode job : prometheus.get("scrape_configs")) {
            String module = job.get("job_name").asText().replace("linesight-", "");
            for (JsonNode target : job.at("/static_configs/0/targets")) {
                String host = target.asText().substring(0, target.asText().indexOf(':'));
                assertEquals(module, modules.get(host), target + " is a compose service of " + module);
                assertEquals(host + ":" + PORTS.get(module), target.asText());
            }
            assertEquals("/q/metrics", job.get("metrics_path").asText());
        }
        assertTrue(services.get("prometheus").get("volumes").get(0).asText().startsWith(ROOT.toAbsolutePath().normalize() + "/deploy/prometheus:/etc/prometheus"));
        JsonNode provider = PrometheusServer.YAML.readTree(ROOT.resolve("deploy/grafana/provisioning/dashboards/linesight.yml").toFile());
        String dashboardsPath = provider.at("/providers/0/options/path").asText();
        String root = ROOT.toAbsolutePath().normalize().toString();
        assertTrue(services.get("grafana").get("volumes").toString().contains(root + "/deploy/grafana/dashboards:" + dashboardsPath));
        assertTrue(services.get("grafana").get("volumes").toString().contains(root + "/deploy/grafana/provisioning:/etc/grafana/provisioning"));
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
        // The manifests as kubectl builds them from the kustomization (it refuses a missing file or a broken document).
        Map<String, JsonNode> byKindAndName = new HashMap<>();
        for (JsonNode doc : documents(tool(ROOT, "kubectl", "kustomize", "deploy/k8s"))) {
            if (!doc.get("kind").asText().equals("Namespace")) {
                assertEquals("linesight", doc.at("/metadata/namespace").asText(), doc.at("/metadata/name") + " in the linesight namespace");
            }
            byKindAndName.put(doc.get("kind").asText() + "/" + doc.at("/metadata/name").asText(), doc);
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

        // Every pod is probed for liveness and readiness on the services' health endpoints.
        for (String module : PORTS.keySet()) {
            JsonNode workload = byKindAndName.getOrDefault("Deployment/" + module, byKindAndName.get("StatefulSet/" + module));
            JsonNode container = workload.at("/spec/template/spec/containers/0");
            assertEquals("/q/health/live", container.at("/livenessProbe/httpGet/path").asText(), module + " liveness");
            assertEquals("/q/health/ready", container.at("/readinessProbe/httpGet/path").asText(), module + " readiness");
        }
        // The cluster settings every service gets: the full bootstrap list, replication as on a cluster of 3 or more.
        JsonNode shared = byKindAndName.get("ConfigMap/linesight").get("data");
        assertEquals(3, shared.get("KAFKA_BOOTSTRAP_SERVERS").asText().split(",").length, "the full bootstrap list");
        assertEquals(Integer.toString(Defaults.topicSettings().replicationFactor(3)), shared.get("LINESIGHT_TOPICS_REPLICATION_FACTOR").asText());
        assertEquals(Integer.toString(Defaults.topicSettings().minInsyncReplicas(3)), shared.get("LINESIGHT_TOPICS_MIN_INSYNC_REPLICAS").asText());

        // An active trainer and a standby: one registry volume both mount, samples of their own.
        JsonNode trainer = byKindAndName.get("StatefulSet/trainer");
        assertEquals(2, trainer.at("/spec/replicas").asInt(), "an active trainer and a standby");
        Map<String, String> mounts = new HashMap<>();
        trainer.at("/spec/template/spec/containers/0/volumeMounts").forEach(m -> mounts.put(m.get("name").asText(), m.get("mountPath").asText()));
        Map<String, String> trainerEnv = new HashMap<>();
        trainer.at("/spec/template/spec/containers/0/env").forEach(env -> trainerEnv.put(env.get("name").asText(), env.path("value").asText()));
        assertTrue(trainerEnv.get("LINESIGHT_REGISTRY_DIR").startsWith(mounts.get("registry") + "/"), "registry on the shared volume");
        assertTrue(trainerEnv.get("LINESIGHT_TRAINER_SAMPLES_DIR").startsWith(mounts.get("samples") + "/"), "samples on the pod's own volume");
        String claim = null;
        for (JsonNode volume : trainer.at("/spec/template/spec/volumes")) {
            if (volume.get("name").asText().equals("registry")) {
                claim = volume.at("/persistentVolumeClaim/claimName").asText();
            }
        }
        assertEquals("ReadWriteMany", byKindAndName.get("PersistentVolumeClaim/" + claim).at("/spec/accessModes/0").asText(),
                "both trainers mount the registry");
        assertEquals("samples", trainer.at("/spec/volumeClaimTemplates/0/metadata/name").asText());
        assertEquals("ReadWriteOnce", trainer.at("/spec/volumeClaimTemplates/0/spec/accessModes/0").asText());
        // Pointers name the Service (both pods stay ready and serve the registry), and classifiers fetch from it.
        assertEquals("http://trainer.linesight.svc:" + PORTS.get("trainer"), trainerEnv.get("LINESIGHT_REGISTRY_PUBLIC_URL"));
        classifier.at("/spec/template/spec/containers/0/env").forEach(env -> {
            if (env.get("name").asText().equals("LINESIGHT_CLASSIFIER_REGISTRY_URLS")) {
                assertEquals(trainerEnv.get("LINESIGHT_REGISTRY_PUBLIC_URL") + "/registry/", env.get("value").asText());
            }
        });

        // The topic Job creates every topic with the settings the services give it.
        String script = byKindAndName.get("Job/linesight-topics").at("/spec/template/spec/containers/0/args/0").asText();
        FrameSizeLimit limit = new FrameSizeLimit(Integer.parseInt(properties("ingest").getProperty("linesight.frames.max-bytes")));
        Duration retention = Defaults.topicSettings().framesRetention();
        // A production cluster has at least 3 brokers: the Job sizes replication as the services would fit it there.
        int minInsync = Defaults.topicSettings().minInsyncReplicas(3);
        assertTrue(script.contains("--replication-factor " + Defaults.topicSettings().replicationFactor(3) + " "), script);
        assertTrue(script.contains("--partitions \"${PARTITIONS:-" + Defaults.PARTITIONS + "}\""), script);
        for (Topic topic : Topic.values()) {
            Matcher line = Pattern.compile("(?:PARTITIONS=(\\d+) )?create " + Pattern.quote(topic.topicName()) + "((?: --config \\S+)*)\\s*\n")
                    .matcher(script);
            assertTrue(line.find(), "the topic Job does not create " + topic.topicName());
            int partitions = Integer.parseInt(Defaults.PARTITIONS);
            assertEquals(topic.partitions(partitions), line.group(1) == null ? partitions : Integer.parseInt(line.group(1)), topic.topicName());
            Map<String, String> configs = new HashMap<>();
            for (String setting : line.group(2).trim().split("\\s*--config\\s+")) {
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

    /** Runs a deployment tool in {@code dir} (offline: it only reads the files); its standard output, or fails with its errors. */
    private static String tool(Path dir, String... command) throws Exception {
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.PIPE).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String errors = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), String.join(" ", command) + " refused the files:\n" + errors);
        return output;
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

    private static List<JsonNode> documents(String yaml) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (MappingIterator<JsonNode> it = PrometheusServer.YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (it.hasNext()) {
                docs.add(it.next());
            }
        }
        return docs;
    }
}
