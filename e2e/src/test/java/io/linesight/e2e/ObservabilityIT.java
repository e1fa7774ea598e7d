package io.linesight.e2e;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.linesight.common.Topic;
import io.linesight.localstack.ImageSamples;
import io.linesight.localstack.LineSightSystem;
import io.linesight.localstack.ServiceProcess;
import io.linesight.proto.Frame;
import io.linesight.proto.ModelStatus;
import io.linesight.proto.ModelVersion;
import io.linesight.testsupport.InfraResource;
import io.linesight.testsupport.TopicWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Grafana's dashboards and Prometheus' rules against the real thing: Prometheus (Debian's package) scrapes the
 * packaged services while the test causes every event the dashboards show — frames from two cameras, a rejected
 * frame, a cache hit, a poison frame, an unparseable record, a refused version, labels of each source, a training
 * run, a swap — then
 * every PromQL expression of deploy/ is evaluated through Prometheus' HTTP API and must return a finite value.
 * An alert's expression must parse; the quantity it compares (left of its threshold) must return data.
 */
class ObservabilityIT {
    private static final List<String> CLASSES = LineSightSystem.CLASSES;
    /** Grafana's variables as "All" and a rate window covering the whole test. */
    private static final Map<String, String> GRAFANA_VARIABLES = Map.of("$__rate_interval", "5m", "$__interval", "15s",
            "$__range", "10m", "$camera", ".*", "$version", ".*");
    private static final Pattern THRESHOLD = Pattern.compile("^(.*\\S)\\s*(<|>|<=|>=|==|!=)\\s*(bool\\s+)?-?[0-9.]+(e-?[0-9]+)?\\s*$",
            Pattern.DOTALL);
    private static LineSightSystem system;
    private static PrometheusServer prometheus;
    private static int frameNumber = 1;
    /** More than the trainer's minimum (20) for the accuracy gauges of the serving and previous versions. */
    private static final int MIN_AUDIT_LABELS = 25;

    @BeforeAll
    static void startSystemAndPrometheus() throws Exception {
        // No automatic fine-tuning: the test starts the one run it needs.
        // A drift reference short enough to fill from the frames each camera sends after the swap.
        system = LineSightSystem.start("obs", InfraResource.addresses(), Clients.WORK, Map.of("LINESIGHT_TRAINER_MIN_HOLDOUT", "5",
                "LINESIGHT_TRAINER_MIN_NEW_SAMPLES", "100000", "LINESIGHT_TRAINER_MAX_INTERVAL", "24h",
                "LINESIGHT_TRAINER_CHECK_INTERVAL", "2s"), Map.of("LINESIGHT_DRIFT_REFERENCE_FRAMES", "4"));
        prometheus = PrometheusServer.start(Map.of("linesight-ingest", "127.0.0.1:" + system.ingest.port,
                "linesight-classifier", "127.0.0.1:" + system.classifier.port, "linesight-trainer", "127.0.0.1:" + system.trainer.port));
    }

    @AfterAll
    static void stop() throws Exception {
        if (prometheus != null) {
            prometheus.close();
        }
        if (system != null) {
            system.close();
        }
    }

    @Test
    void everyDashboardAndRuleExpressionReturnsDataOnceItsEventsHappened() throws Exception {
        assertTrue(awaitTargetsUp(), "Prometheus cannot scrape: " + prometheus.targetsDown());

        streamAndLabel(MIN_AUDIT_LABELS);
        int rejected = Clients.camera().contentType("image/jpeg").header("X-Camera-Id", "cam-0").body("not an image".getBytes())
                .post(system.ingest.url("/api/v1/frames")).statusCode();
        assertEquals(400, rejected / 100 * 100, "a broken frame gets a 4xx");
        byte[] repeated = ImageSamples.neuImage("crazing", 250);
        Clients.predictions(Set.of(Clients.postFrame(system.ingest, "cam-0", repeated).getString("frameId")));
        Clients.predictions(Set.of(Clients.postFrame(system.ingest, "cam-0", repeated).getString("frameId")));
        try (TopicWriter writer = new TopicWriter()) {
            Frame poison = Frame.newBuilder().setFrameId("poison-1").setCameraId("cam-0").setContentType("image/jpeg")
                    .setImage(ByteString.copyFromUtf8("not a jpeg")).setReceivedAtMs(System.currentTimeMillis())
                    .setCapturedAtMs(System.currentTimeMillis()).build();
            writer.send(Topic.FRAMES.topicName(), "poison-1", poison.toByteArray());
            byte[] garbage = new byte[64];
            new Random(1).nextBytes(garbage);
            writer.send(Topic.FRAMES.topicName(), "garbage-1", garbage);
        }
        // A run that cannot beat the serving version (no training): counted as rejected with holdout figures. It is
        // skipped while the trainer still turns the labels into samples (the holdout is a hash-chosen half of AUDIT).
        String result = "skipped";
        for (int attempt = 0; "skipped".equals(result) && attempt < 30; attempt++) {
            Thread.sleep(attempt == 0 ? 0 : 1000);
            result = Clients.admin().contentType("application/json")
                    .body(Map.of("epochs", 0, "learningRate", 0, "strategy", "head")).post(system.trainer.url("/api/v1/training/run"))
                    .then().statusCode(200).extract().path("result");
        }
        assertEquals("rejected", result, "the untrained candidate is judged on the holdout and refused");
        try (TopicWriter writer = new TopicWriter()) {
            // Version 1's signed files announced as version 99: refused (signature), not retried.
            ModelVersion broken = ModelVersion.newBuilder().setModelName(system.model).setVersion(99).addAllClasses(CLASSES)
                    .setInputSize(32).setInputChannels(3).setArtifactUri(system.artifactBase + system.model + "/1/")
                    .setStatus(ModelStatus.SERVING).setCreatedAtMs(System.currentTimeMillis()).build();
            writer.send(Topic.MODEL_VERSIONS.topicName(), system.model, broken.toByteArray());
        }
        ServiceProcess.trainingCli("train", "--data", system.registry.getParent().resolve("data").toString(), "--registry",
                system.registry.toString(), "--model", system.model, "--from", "1", "--epochs", "0", "--val-fraction", "0.05",
                "--limit-per-class", "2", "--no-report", "--good-classes", LineSightSystem.GOOD_CLASS);
        system.promote(2);
        awaitServedBy(2);
        // Version 1 as the shadow beside it: the shadow panels need its answers scored on the same AUDIT frames.
        system.shadow(1);
        awaitShadowing(1);
        streamAndLabel(MIN_AUDIT_LABELS);

        Map<String, String> expressions = expressions();
        assertTrue(expressions.size() > 30, "found only " + expressions.keySet());
        Map<String, String> failures = new LinkedHashMap<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        do {
            failures.clear();
            for (Map.Entry<String, String> e : expressions.entrySet()) {
                String problem = check(e.getValue());
                if (problem != null) {
                    failures.put(e.getKey(), problem);
                }
            }
            if (!failures.isEmpty()) {
                Thread.sleep(2000);
            }
        } while (!failures.isEmpty() && System.nanoTime() < deadline);
        assertEquals(Map.of(), failures, "expressions without data");
    }

    /** Null when the expression returns a finite value (or, for a thresholded one, parses and its quantity does). */
    private static String check(String expression) throws Exception {
        JsonNode answer = prometheus.query(expression);
        if (!"success".equals(answer.path("status").asText())) {
            return "query failed: " + answer.path("error").asText() + " in " + expression;
        }
        if (hasFiniteValue(answer)) {
            return null;
        }
        Matcher comparison = THRESHOLD.matcher(expression);
        if (comparison.matches()) {
            JsonNode quantity = prometheus.query(comparison.group(1));
            return hasFiniteValue(quantity) ? null : "no data for " + comparison.group(1) + ": " + quantity.path("data");
        }
        return "no data: " + answer.path("data") + " for " + expression;
    }

    private static boolean hasFiniteValue(JsonNode answer) {
        JsonNode data = answer.path("data");
        List<JsonNode> values = new ArrayList<>();
        if (data.path("resultType").asText().equals("scalar")) {
            values.add(data.path("result").get(1));
        } else {
            data.path("result").forEach(series -> values.add(series.path("value").get(1)));
        }
        return values.stream().anyMatch(v -> v != null && Double.isFinite(Double.parseDouble(v.asText())));
    }

    /** Every PromQL expression in deploy/: dashboard targets, variables, annotations, recording and alert rules. */
    private static Map<String, String> expressions() throws Exception {
        Map<String, String> found = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(PrometheusServer.DEPLOY.resolve("grafana/dashboards"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".json")).toList()) {
                JsonNode dashboard = PrometheusServer.JSON.readTree(file.toFile());
                for (JsonNode panel : dashboard.get("panels")) {
                    for (JsonNode target : panel.get("targets")) {
                        found.put(file.getFileName() + " / " + panel.get("title").asText() + " / " + target.get("refId").asText(),
                                grafana(target.get("expr").asText()));
                    }
                }
                for (JsonNode variable : dashboard.path("templating").path("list")) {
                    Matcher labelValues = Pattern.compile("label_values\\((.+),\\s*(\\w+)\\)").matcher(variable.path("query").path("query").asText());
                    assertTrue(labelValues.matches(), "variable " + variable.get("name") + " is not label_values(metric, label)");
                    found.put(file.getFileName() + " / variable " + variable.get("name").asText(),
                            "count by (" + labelValues.group(2) + ") (" + labelValues.group(1) + ")");
                }
                for (JsonNode annotation : dashboard.path("annotations").path("list")) {
                    found.put(file.getFileName() + " / annotation " + annotation.get("name").asText(), grafana(annotation.get("expr").asText()));
                }
            }
        }
        try (Stream<Path> files = Files.list(PrometheusServer.DEPLOY.resolve("prometheus/rules"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".rules.yml")).toList()) {
                for (JsonNode group : PrometheusServer.YAML.readTree(file.toFile()).get("groups")) {
                    for (JsonNode rule : group.get("rules")) {
                        String name = rule.has("record") ? rule.get("record").asText() : "alert " + rule.get("alert").asText();
                        found.put(file.getFileName() + " / " + name, rule.get("expr").asText());
                    }
                }
            }
        }
        return found;
    }

    private static String grafana(String expression) {
        String result = expression;
        for (Map.Entry<String, String> variable : GRAFANA_VARIABLES.entrySet()) {
            result = result.replace(variable.getKey(), variable.getValue());
        }
        assertTrue(!result.contains("$"), "unknown Grafana variable in " + expression);
        return result;
    }

    /** Frames from two cameras until ingest chose enough for audit, then a label for each: AUDIT, REVIEW or CORRECTION. */
    private static void streamAndLabel(int auditLabels) throws Exception {
        Map<String, String> truth = new LinkedHashMap<>();
        Map<String, Boolean> audit = new LinkedHashMap<>();
        for (int i = 0; audit.values().stream().filter(a -> a).count() < auditLabels; i++) {
            assertTrue(i < 300, "ingest chose too few frames for audit");
            String defect = CLASSES.get(i % CLASSES.size());
            var accepted = Clients.postFrame(system.ingest, "cam-" + (i % 2), ImageSamples.neuImage(defect, 1 + frameNumber++ % 300));
            truth.put(accepted.getString("frameId"), defect);
            audit.put(accepted.getString("frameId"), accepted.getBoolean("audit"));
        }
        Clients.predictions(truth.keySet());
        int i = 0;
        for (Map.Entry<String, String> frame : truth.entrySet()) {
            String source = audit.get(frame.getKey()) ? "AUDIT" : (i++ % 2 == 0 ? "REVIEW" : "CORRECTION");
            Clients.operator().contentType("application/json").body(Map.of("frameId", frame.getKey(), "label", frame.getValue(),
                    "source", source)).post(system.ingest.url("/api/v1/labels")).then().statusCode(202);
        }
    }

    private static void awaitShadowing(int version) throws Exception {
        long deadline = System.nanoTime() + LineSightSystem.WAIT.toNanos();
        while (!given().get(system.classifier.url("/q/metrics")).then().extract().asString()
                .contains("linesight_classifier_shadow_version " + version + ".0") && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
    }

    private static void awaitServedBy(int version) throws Exception {
        long deadline = System.nanoTime() + LineSightSystem.WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            String id = Clients.postFrame(system.ingest, "cam-1", ImageSamples.neuImage("scratches", 1 + frameNumber++ % 300)).getString("frameId");
            if (Clients.predictions(Set.of(id)).get(id).getModelVersion() == version) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("the classifier never served version " + version);
    }

    private static boolean awaitTargetsUp() throws Exception {
        for (int i = 0; i < 60; i++) {
            if (prometheus.targetsDown().isEmpty()) {
                return true;
            }
            Thread.sleep(500);
        }
        return false;
    }
}
