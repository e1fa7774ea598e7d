package io.linesight.e2e;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.linesight.common.Topic;
import io.linesight.proto.ModelVersion;
import io.linesight.proto.ModelVersionDeserializer;
import io.linesight.proto.Prediction;
import io.linesight.proto.PredictionDeserializer;
import io.linesight.proto.TrainingSample;
import io.linesight.proto.TrainingSampleDeserializer;
import io.linesight.testsupport.InfraResource;
import io.linesight.testsupport.LocalInfra;
import io.linesight.testsupport.TestData;
import io.linesight.testsupport.TopicReader;
import io.restassured.specification.RequestSpecification;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole loop on packaged services: frames through ingest, predictions by the classifier, operator labels
 * through ingest, samples and a gated fine-tune in the trainer, the new version fetched by the classifier
 * over the trainer's HTTP registry, and the accuracy counters moving.
 */
class ClosedLoopIT {
    private static final String MODEL = "e2e";
    private static final List<String> CLASSES = List.of("crazing", "inclusion", "scratches");
    private static final Duration WAIT = Duration.ofMinutes(3);
    private static final Path WORK = Path.of("target/e2e");
    private static ServiceProcess ingest;
    private static ServiceProcess classifier;
    private static ServiceProcess trainer;

    @BeforeAll
    static void startTheSystem() throws Exception {
        LocalInfra.Addresses infra = InfraResource.addresses();
        Path data = Files.createDirectories(WORK.resolve("data"));
        for (String c : CLASSES) {
            Path link = data.resolve(c);
            if (!Files.exists(link)) {
                Files.createSymbolicLink(link, TestData.neuSurface().resolve(c).toAbsolutePath());
            }
        }
        Path registry = WORK.resolve("registry").toAbsolutePath();
        // Bootstrap version 1: untrained weights, so the loop has something to improve.
        ServiceProcess.trainingCli("train", "--data", data.toString(), "--registry", registry.toString(), "--model", MODEL,
                "--epochs", "0", "--input-size", "32", "--width", "8", "--stem", "cifar", "--limit-per-class", "2",
                "--val-fraction", "0.05");

        Map<String, String> env = Map.of("KAFKA_BOOTSTRAP_SERVERS", infra.kafkaBootstrap(), "QUARKUS_REDIS_HOSTS",
                infra.redisHosts(), "LINESIGHT_MODEL_NAME", MODEL);
        Map<String, String> trainerEnv = new HashMap<>(env);
        trainerEnv.putAll(Map.of("LINESIGHT_REGISTRY_DIR", registry.toString(), "LINESIGHT_TRAINER_SAMPLES_DIR",
                WORK.resolve("samples").toAbsolutePath().toString(), "LINESIGHT_TRAINER_MIN_HOLDOUT", "20",
                "LINESIGHT_TRAINER_MIN_NEW_SAMPLES", "150", "LINESIGHT_TRAINER_MAX_INTERVAL", "20s",
                "LINESIGHT_TRAINER_CHECK_INTERVAL", "2s", "LINESIGHT_TRAINER_EPOCHS", "10",
                "LINESIGHT_TRAINER_LEARNING_RATE", "0.02"));
        int trainerPort = ServiceProcess.freePort();
        trainerEnv.put("LINESIGHT_REGISTRY_PUBLIC_URL", "http://127.0.0.1:" + trainerPort);
        trainer = ServiceProcess.service("trainer", trainerPort, trainerEnv);
        Map<String, String> classifierEnv = new HashMap<>(env);
        classifierEnv.put("LINESIGHT_CLASSIFIER_MODEL_CACHE", WORK.resolve("model-cache").toAbsolutePath().toString());
        classifier = ServiceProcess.service("classifier", ServiceProcess.freePort(), classifierEnv);
        Map<String, String> ingestEnv = new HashMap<>(env);
        ingestEnv.put("LINESIGHT_AUDIT_RATE", "0.5");
        ingest = ServiceProcess.service("ingest", ServiceProcess.freePort(), ingestEnv);
        trainer.awaitHealthy("/q/health/ready", WAIT);
        ingest.awaitHealthy("/q/health/ready", WAIT);

        // The classifier fetches version 1 over the trainer's HTTP registry, as a classifier on another host would.
        ServiceProcess.trainingCli("promote", "--registry", registry.toString(), "--model", MODEL, "--version", "1",
                "--bootstrap-servers", infra.kafkaBootstrap(), "--artifact-base-uri", trainer.url("/registry/"));
        classifier.awaitHealthy("/q/health/ready", WAIT);
    }

    @AfterAll
    static void stopTheSystem() throws Exception {
        for (ServiceProcess service : new ServiceProcess[] {ingest, classifier, trainer}) {
            if (service != null) {
                service.close();
            }
        }
    }

    @Test
    void operatorLabelsTrainABetterVersionThatTheClassifierThenServes() throws Exception {
        given().contentType("image/jpeg").header("X-Camera-Id", "cam-1").body(TestData.neuImage("crazing", 1))
                .post(ingest.url("/api/v1/frames")).then().statusCode(401);

        Map<String, String> truth = new HashMap<>();
        Map<String, Boolean> audit = new HashMap<>();
        Map<String, byte[]> images = new HashMap<>();
        for (int i = 0; i < 150; i++) {
            String defect = CLASSES.get(i % 3);
            byte[] image = TestData.neuImage(defect, 1 + i / 3);
            var accepted = camera().contentType("image/jpeg").header("X-Camera-Id", "cam-" + (i % 2))
                    .body(image).post(ingest.url("/api/v1/frames"))
                    .then().statusCode(202).extract().jsonPath();
            truth.put(accepted.getString("frameId"), defect);
            images.put(accepted.getString("frameId"), image);
            audit.put(accepted.getString("frameId"), accepted.getBoolean("audit"));
        }
        Map<String, Prediction> first = predictions(truth.keySet());
        assertTrue(first.values().stream().allMatch(p -> p.getModelVersion() == 1));

        String someFrame = truth.keySet().iterator().next();
        label(someFrame, "rust", "REVIEW").statusCode(400).body("detail", containsString("crazing"));
        camera().contentType("application/json").body(Map.of("frameId", someFrame, "label", "crazing", "source", "REVIEW"))
                .post(ingest.url("/api/v1/labels")).then().statusCode(403);
        List<Map<String, Object>> queue = operator().get(ingest.url("/api/v1/review/queue?limit=500")).then().statusCode(200)
                .extract().jsonPath().getList("$");
        assertTrue(queue.stream().anyMatch(item -> "AUDIT".equals(item.get("kind")) && item.get("topK") == null));

        for (Map.Entry<String, String> frame : truth.entrySet()) {
            label(frame.getKey(), frame.getValue(), audit.get(frame.getKey()) ? "AUDIT" : "REVIEW").statusCode(202);
        }
        label(someFrame, truth.get(someFrame), audit.get(someFrame) ? "AUDIT" : "REVIEW").statusCode(200)
                .body("duplicate", equalTo(true));

        List<ConsumerRecord<String, TrainingSample>> samples = TopicReader.await(Topic.SAMPLES.topicName(),
                new TrainingSampleDeserializer(), r -> truth.containsKey(r.key()), truth.size(), WAIT);
        assertEquals(truth.size(), samples.size());
        for (ConsumerRecord<String, TrainingSample> record : samples) {
            assertEquals(truth.get(record.key()), record.value().getLabel());
            assertArrayEquals(images.get(record.key()), record.value().getImage().toByteArray());
        }

        // Enough new samples: the trainer fine-tunes by itself and promotes a better version.
        ModelVersion promoted = TopicReader.await(Topic.MODEL_VERSIONS.topicName(), new ModelVersionDeserializer(),
                r -> r.value().getVersion() == 2, 1, WAIT).get(0).value();
        assertTrue(promoted.getArtifactUri().startsWith(trainer.url("/registry/")), promoted.getArtifactUri());

        List<String> later = new ArrayList<>();
        long deadline = System.nanoTime() + WAIT.toNanos();
        int servedByTwo = 0;
        for (int round = 0; servedByTwo == 0 && System.nanoTime() < deadline; round++) {
            var accepted = camera().contentType("image/jpeg").header("X-Camera-Id", "cam-1")
                    .body(TestData.neuImage("scratches", 200 + round)).post(ingest.url("/api/v1/frames"))
                    .then().statusCode(202).extract().jsonPath();
            later.add(accepted.getString("frameId"));
            servedByTwo = (int) predictions(Set.of(accepted.getString("frameId"))).values().stream()
                    .filter(p -> p.getModelVersion() == 2).count();
            Thread.sleep(500);
        }
        assertEquals(1, servedByTwo, "the classifier serves version 2");

        String metrics = given().get(trainer.url("/q/metrics")).then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("linesight_accuracy_labels_total{camera=\"cam-0\",source=\"AUDIT\",version=\"1\"}"), metrics);
        assertTrue(metrics.contains("linesight_trainer_runs_total{result=\"promoted\"}"), metrics);
    }

    private static Map<String, Prediction> predictions(Set<String> frameIds) {
        return TopicReader.await(Topic.PREDICTIONS.topicName(), new PredictionDeserializer(),
                r -> r.value() != null && frameIds.contains(r.value().getFrameId()), frameIds.size(), WAIT).stream()
                .collect(Collectors.toMap(r -> r.value().getFrameId(), ConsumerRecord::value, (a, b) -> a));
    }

    private static io.restassured.response.ValidatableResponse label(String frameId, String label, String source) {
        return operator().contentType("application/json").body(Map.of("frameId", frameId, "label", label, "source", source))
                .post(ingest.url("/api/v1/labels")).then();
    }

    private static RequestSpecification camera() {
        return given().auth().preemptive().basic("camera", "camera-dev-password");
    }

    private static RequestSpecification operator() {
        return given().auth().preemptive().basic("operator", "operator-dev-password");
    }
}
