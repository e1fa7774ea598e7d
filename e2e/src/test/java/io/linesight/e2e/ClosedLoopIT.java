package io.linesight.e2e;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.linesight.common.Topic;
import io.linesight.localstack.ImageSamples;
import io.linesight.localstack.LineSightSystem;
import io.linesight.localstack.ServiceProcess;
import io.linesight.proto.ModelVersion;
import io.linesight.proto.ModelVersionDeserializer;
import io.linesight.proto.Prediction;
import io.linesight.proto.TrainingSample;
import io.linesight.proto.TrainingSampleDeserializer;
import io.linesight.testsupport.TopicReader;
import io.restassured.response.ValidatableResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
    private static final List<String> CLASSES = LineSightSystem.CLASSES;
    private static final Duration WAIT = LineSightSystem.WAIT;
    private static LineSightSystem system;
    private static ServiceProcess ingest;
    private static ServiceProcess trainer;

    @BeforeAll
    static void startTheSystem() throws Exception {
        // Fine-tune once all 150 labels are in (or 20 s after the first), judged on >= 20 AUDIT holdout samples.
        system = Clients.system(MODEL, Map.of("LINESIGHT_TRAINER_MIN_HOLDOUT", "20",
                "LINESIGHT_TRAINER_MIN_NEW_SAMPLES", "150", "LINESIGHT_TRAINER_MAX_INTERVAL", "20s",
                "LINESIGHT_TRAINER_CHECK_INTERVAL", "2s", "LINESIGHT_TRAINER_EPOCHS", "10",
                "LINESIGHT_TRAINER_LEARNING_RATE", "0.02"));
        ingest = system.ingest;
        trainer = system.trainer;
    }

    @AfterAll
    static void stopTheSystem() throws Exception {
        if (system != null) {
            system.close();
        }
    }

    @Test
    void operatorLabelsTrainABetterVersionThatTheClassifierThenServes() throws Exception {
        given().contentType("image/jpeg").header("X-Camera-Id", "cam-1").body(ImageSamples.neuImage("crazing", 1))
                .post(ingest.url("/api/v1/frames")).then().statusCode(401);

        Map<String, String> truth = new HashMap<>();
        Map<String, Boolean> audit = new HashMap<>();
        Map<String, byte[]> images = new HashMap<>();
        for (int i = 0; i < 150; i++) {
            String defect = CLASSES.get(i % 3);
            byte[] image = ImageSamples.neuImage(defect, 1 + i / 3);
            var accepted = Clients.postFrame(ingest, "cam-" + (i % 2), image);
            truth.put(accepted.getString("frameId"), defect);
            images.put(accepted.getString("frameId"), image);
            audit.put(accepted.getString("frameId"), accepted.getBoolean("audit"));
        }
        Map<String, Prediction> first = Clients.predictions(truth.keySet());
        assertTrue(first.values().stream().allMatch(p -> p.getModelVersion() == 1));

        String someFrame = truth.keySet().iterator().next();
        label(someFrame, "rust", "REVIEW").statusCode(400).body("detail", containsString("crazing"));
        Clients.camera().contentType("application/json").body(Map.of("frameId", someFrame, "label", "crazing", "source", "REVIEW"))
                .post(ingest.url("/api/v1/labels")).then().statusCode(403);
        List<Map<String, Object>> queue = Clients.operator().get(ingest.url("/api/v1/review/queue?limit=500")).then().statusCode(200)
                .extract().jsonPath().getList("$");
        assertTrue(queue.stream().anyMatch(item -> "AUDIT".equals(item.get("kind")) && item.get("topK") == null));

        for (Map.Entry<String, String> frame : truth.entrySet()) {
            label(frame.getKey(), frame.getValue(), audit.get(frame.getKey()) ? "AUDIT" : "REVIEW").statusCode(202);
        }
        label(someFrame, truth.get(someFrame), audit.get(someFrame) ? "AUDIT" : "REVIEW").statusCode(200)
                .body("duplicate", equalTo(true));

        List<ConsumerRecord<String, TrainingSample>> samples = TopicReader.await(Topic.SAMPLES.topicName(),
                new TrainingSampleDeserializer(), r -> truth.containsKey(r.value().getFrameId()), truth.size(), WAIT);
        assertEquals(truth.size(), samples.size());
        for (ConsumerRecord<String, TrainingSample> record : samples) {
            String frameId = record.value().getFrameId();
            assertEquals(frameId + "/" + record.value().getSource(), record.key(), "keyed by frame and source");
            assertEquals(truth.get(frameId), record.value().getLabel());
            assertArrayEquals(images.get(frameId), record.value().getImage().toByteArray());
        }

        // Enough new samples: the trainer fine-tunes by itself and promotes a better version.
        ModelVersion promoted = TopicReader.await(Topic.MODEL_VERSIONS.topicName(), new ModelVersionDeserializer(),
                r -> r.value().getModelName().equals(MODEL) && r.value().getVersion() == 2, 1, WAIT).get(0).value();
        assertTrue(promoted.getArtifactUri().startsWith(trainer.url("/registry/")), promoted.getArtifactUri());

        List<String> later = new ArrayList<>();
        long deadline = System.nanoTime() + WAIT.toNanos();
        int servedByTwo = 0;
        for (int round = 0; servedByTwo == 0 && System.nanoTime() < deadline; round++) {
            var accepted = Clients.postFrame(ingest, "cam-1", ImageSamples.neuImage("scratches", 200 + round));
            later.add(accepted.getString("frameId"));
            servedByTwo = (int) Clients.predictions(Set.of(accepted.getString("frameId"))).values().stream()
                    .filter(p -> p.getModelVersion() == 2).count();
            Thread.sleep(500);
        }
        assertEquals(1, servedByTwo, "the classifier serves version 2");

        // A candidate that cannot beat the serving version (no training at all) is refused.
        var run = Clients.admin().contentType("application/json")
                .body(Map.of("epochs", 0, "learningRate", 0, "strategy", "head")).post(trainer.url("/api/v1/training/run"));
        for (int retry = 0; run.statusCode() == 409 && retry < 30; retry++) { // an automatic run is still going
            Thread.sleep(2000);
            run = Clients.admin().contentType("application/json")
                    .body(Map.of("epochs", 0, "learningRate", 0, "strategy", "head")).post(trainer.url("/api/v1/training/run"));
        }
        run.then().statusCode(200).body("result", equalTo("rejected"));

        String metrics = given().get(trainer.url("/q/metrics")).then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("linesight_accuracy_labels_total{camera=\"cam-0\",source=\"AUDIT\",version=\"1\"}"), metrics);
        assertTrue(metrics.contains("linesight_trainer_runs_total{result=\"promoted\"}"), metrics);
        assertTrue(metrics.contains("linesight_trainer_runs_total{result=\"rejected\"}"), metrics);
    }

    private static ValidatableResponse label(String frameId, String label, String source) {
        return Clients.operator().contentType("application/json").body(Map.of("frameId", frameId, "label", label, "source", source))
                .post(ingest.url("/api/v1/labels")).then();
    }
}
