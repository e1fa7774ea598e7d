package io.linesight.trainer;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.linesight.common.FileTrees;
import io.linesight.common.FrameSizeLimit;
import io.linesight.common.Sha256;
import io.linesight.common.Topic;
import io.linesight.common.registry.ManifestSignature;
import io.linesight.common.registry.ModelManifest;
import io.linesight.common.registry.ModelRegistry;
import io.linesight.common.registry.ServingPointers;
import io.linesight.common.registry.SigningKeys;
import io.linesight.localstack.Credentials;
import io.linesight.localstack.ImageSamples;
import io.linesight.proto.ClassScore;
import io.linesight.proto.Frame;
import io.linesight.proto.Label;
import io.linesight.proto.LabelDeserializer;
import io.linesight.proto.LabelSource;
import io.linesight.proto.MalformedRecords;
import io.linesight.proto.ModelStatus;
import io.linesight.proto.ModelVersion;
import io.linesight.proto.ModelVersionDeserializer;
import io.linesight.proto.Prediction;
import io.linesight.proto.RecordRef;
import io.linesight.proto.TrainingSample;
import io.linesight.proto.TrainingSampleDeserializer;
import io.linesight.testsupport.InfraResource;
import io.linesight.testsupport.TopicReader;
import io.linesight.testsupport.TopicWriter;
import io.linesight.training.Evaluation;
import io.linesight.training.ModelVersions;
import io.linesight.training.model.ResNetModel;
import io.linesight.training.model.ResNetSpec;
import io.linesight.training.registry.RegistryPublisher;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.common.annotation.Identifier;
import io.smallrye.reactive.messaging.ChannelRegistry;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.DoublePredicate;
import java.util.stream.Collectors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;

/**
 * Labels -> samples -> a gated fine-tune, on a real broker, with an untrained bootstrap version 1 and real
 * NEU images: the fine-tuned candidate beats it on the AUDIT holdout and is promoted; an unchanged candidate is
 * refused; expired frames go to the labels DLQ; the accuracy counters follow the labels.
 */
@QuarkusTest
@QuarkusTestResource(InfraResource.class)
@QuarkusTestResource(TestSigningKey.class)
class TrainerTest {
    private static final String MODEL = "neu";
    private static final List<String> CLASSES = List.of("crazing", "inclusion", "scratches");
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Inject
    SampleStore store;

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;

    @Inject
    FrameSizeLimit frameSizeLimit;

    @Inject
    ChannelRegistry channels;

    @Test
    void labelsBecomeSamplesAndABetterVersionIsPromotedAWorseOneRefused() throws Exception {
        Path registry = Path.of("target/registry");
        bootstrap(registry);
        List<Label> labels = new ArrayList<>();
        try (TopicWriter writer = new TopicWriter()) {
            writer.send(Topic.MODEL_VERSIONS.topicName(), MODEL, ServingPointers.of(new ModelRegistry(registry).manifest(MODEL, 1),
                    ServingPointers.artifactUri(registry.toAbsolutePath().toUri().toString(), MODEL, 1), ModelStatus.SERVING).toByteArray());
            for (int i = 0; i < 120; i++) {
                String defect = CLASSES.get(i % 3);
                byte[] image = ImageSamples.neuImage(defect, 1 + i / 3);
                Label label = labelFor(writer, image, defect, i % 2 == 0 ? LabelSource.AUDIT : LabelSource.REVIEW, 1,
                        i % 3 == 0 ? defect : CLASSES.get((i + 1) % 3));
                writer.send(Topic.LABELS.topicName(), label.getFrameId(), label.toByteArray());
                labels.add(label);
            }
            Label orphan = labels.get(0).toBuilder().setFrameId(UUID.randomUUID().toString()).build();
            writer.send(Topic.LABELS.topicName(), orphan.getFrameId(), orphan.toByteArray());

            List<ConsumerRecord<String, TrainingSample>> samples = TopicReader.await(Topic.SAMPLES.topicName(),
                    new TrainingSampleDeserializer(), r -> true, labels.size(), WAIT);
            assertEquals(labels.size(), samples.size());
            TrainingSample first = samples.stream().filter(s -> s.key().equals(labels.get(0).getFrameId() + "/AUDIT")).findFirst().orElseThrow().value();
            assertArrayEquals(ImageSamples.neuImage("crazing", 1), first.getImage().toByteArray());
            assertEquals("crazing", first.getLabel());
            List<ConsumerRecord<String, Label>> dead = TopicReader.await(Topic.LABELS_DLQ.topicName(), new LabelDeserializer(),
                    r -> r.key().equals(orphan.getFrameId()), 1, WAIT);
            assertTrue(new String(dead.get(0).headers().lastHeader(MalformedRecords.DLQ_REASON_HEADER).value()).startsWith("frame-expired"));
        }

        // A trainer on an empty disk gets the same samples, sides and labels back from linesight.samples.
        SampleStore rebuilt = new SampleStore(Files.createTempDirectory("rebuilt-samples"), 0.5);
        assertEquals(labels.size(), new SampleRebuild(rebuilt, kafkaConfig, frameSizeLimit, channels).rebuild());
        assertEquals(Set.copyOf(store.entries()), Set.copyOf(rebuilt.entries()));
        assertTrue(rebuilt.entries().stream().anyMatch(SampleStore.Entry::holdout));

        String digest = given().header("Authorization", Credentials.ADMIN.devAuthorization()).contentType("application/json")
                .body(Map.of("epochs", 10, "learningRate", 0.02)).post("/api/v1/training/run")
                .then().statusCode(200).body("result", equalTo("promoted")).body("version", equalTo(2))
                .extract().path("holdoutDigest");

        ModelManifest v2 = ModelRegistry.verify(registry.resolve(MODEL).resolve("2"));
        assertEquals(new ModelManifest.Holdout(TrainingData.of(store.entries(), CLASSES, 2000).holdout().size(), digest),
                v2.lineage().holdout(), "the manifest names the set both versions were judged on");
        assertTrue(v2.calibration().temperature() > 0 && v2.calibration().fittedOn() == v2.lineage().holdout().size(),
                "temperature fitted on the holdout: " + v2.calibration());
        assertEquals(SigningKeys.signingKey(TestSigningKey.SIGNING.toString()).id(), ManifestSignature.verify(
                registry.resolve(MODEL).resolve("2"), SigningKeys.trustedKeys(TestSigningKey.TRUSTED.toString())), "signed by the trainer's key");
        assertEquals(1, v2.parentVersion());
        assertTrue(v2.lineage().sampleCount() > 0 && !v2.lineage().labelOffsets().isEmpty());
        ModelVersion pointer = TopicReader.await(Topic.MODEL_VERSIONS.topicName(), new ModelVersionDeserializer(),
                r -> r.value().getVersion() == 2, 1, WAIT).get(0).value();
        assertTrue(pointer.getArtifactUri().startsWith("http://"), pointer.getArtifactUri());
        byte[] served = given().get("/registry/neu/2/manifest.json").then().statusCode(200).extract().asByteArray();
        assertArrayEquals(Files.readAllBytes(registry.resolve("neu/2/manifest.json")), served);
        given().get("/registry/neu/2/../../../pom.xml").then().statusCode(404);

        // An unchanged candidate cannot beat the version it comes from: refused, nothing published.
        given().header("Authorization", Credentials.ADMIN.devAuthorization()).contentType("application/json")
                .body(Map.of("epochs", 0, "learningRate", 0, "strategy", "head")).post("/api/v1/training/run")
                .then().statusCode(200).body("result", equalTo("rejected"));
        assertEquals(List.of(1, 2), new ModelRegistry(registry).versions(MODEL));

        // A rollback during a run wins: the run ends "superseded" and publishes nothing.
        CompletableFuture<String> longRun = CompletableFuture.supplyAsync(() -> given()
                .header("Authorization", Credentials.ADMIN.devAuthorization()).contentType("application/json")
                .body(Map.of("epochs", 40, "learningRate", 0.02)).post("/api/v1/training/run")
                .then().statusCode(200).extract().path("result"));
        Thread.sleep(3000); // the run has read the serving pointer (version 2) and is training
        try (TopicWriter writer = new TopicWriter()) {
            writer.send(Topic.MODEL_VERSIONS.topicName(), MODEL, ServingPointers.of(new ModelRegistry(registry).manifest(MODEL, 1),
                    ServingPointers.artifactUri(registry.toAbsolutePath().toUri().toString(), MODEL, 1), ModelStatus.ROLLED_BACK).toByteArray());
        }
        assertEquals("superseded", longRun.get(5, TimeUnit.MINUTES));
        assertEquals(List.of(1, 2), new ModelRegistry(registry).versions(MODEL));

        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("linesight_accuracy_labels_total{camera=\"cam-1\",source=\"AUDIT\",version=\"1\"}"), metrics);
        assertTrue(metrics.contains("linesight_accuracy_correct_total{camera=\"cam-1\",source=\"AUDIT\",version=\"1\"}"), metrics);
        assertTrue(metrics.contains("linesight_trainer_runs_total{result=\"promoted\"} 1.0"), metrics);
        assertTrue(metrics.contains("linesight_trainer_runs_total{result=\"rejected\"} 1.0"), metrics);
        assertTrue(metrics.contains("linesight_trainer_runs_total{result=\"superseded\"} 1.0"), metrics);

        // Version 2 serves again and gets every live AUDIT label wrong; version 1, before it, got 21 of 61 right. Not
        // rolled back on 19 labels (linesight.rollback.min-audit-labels is 20 here); rolled back once, by the 20th of 40.
        try (TopicWriter writer = new TopicWriter()) {
            writer.send(Topic.MODEL_VERSIONS.topicName(), MODEL, ServingPointers.of(new ModelRegistry(registry).manifest(MODEL, 2),
                    ServingPointers.artifactUri(registry.toAbsolutePath().toUri().toString(), MODEL, 2), ModelStatus.SERVING).toByteArray());
            awaitMetric("linesight_accuracy_audit_labels{role=\"previous\"}", v -> v >= 60);
            sendWrongAuditLabels(writer, 2, 0, 19);
            assertEquals(0, metric("linesight_trainer_rollbacks_total{outcome=\"rolled_back\"}"), "19 labels are too few");
            sendWrongAuditLabels(writer, 2, 19, 40);
        }
        assertEquals(1, metric("linesight_trainer_rollbacks_total{outcome=\"rolled_back\"}"));
        // The operator's rollback above and this one; none per later label (a short wait for a third that must not come).
        List<ConsumerRecord<String, ModelVersion>> rollbacks = TopicReader.await(Topic.MODEL_VERSIONS.topicName(),
                new ModelVersionDeserializer(), r -> r.value().getStatus() == ModelStatus.ROLLED_BACK, 3, Duration.ofSeconds(10));
        assertEquals(2, rollbacks.size(), "one automatic rollback, not one per label");
        ModelVersion rolledBack = rollbacks.get(1).value();
        assertEquals(1, rolledBack.getVersion());
        assertEquals(ServingPointers.of(new ModelRegistry(registry).manifest(MODEL, 1), "unused", ModelStatus.ROLLED_BACK).getFilesList(),
                rolledBack.getFilesList(), "version 1's own files");

        // Version 2 as the shadow beside version 1: on the same live AUDIT frames it is always right, version 1 never.
        // Not promoted on 19 (linesight.shadow.min-audit-labels is 20 here); promoted on the 20th, and the shadow ends.
        try (TopicWriter writer = new TopicWriter()) {
            ModelVersion shadow = ServingPointers.shadowBeside(ServingPointers.of(new ModelRegistry(registry).manifest(MODEL, 2),
                    ServingPointers.artifactUri(registry.toAbsolutePath().toUri().toString(), MODEL, 2), ModelStatus.SERVING), rolledBack);
            writer.send(Topic.MODEL_VERSIONS.topicName(), ServingPointers.key(shadow), shadow.toByteArray());
            List<Label> live = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                String defect = CLASSES.get(i % 3);
                Label label = labelFor(writer, ImageSamples.neuImage(defect, 250 + i / 3), defect, LabelSource.AUDIT, 1,
                        CLASSES.get((i + 1) % 3));
                Prediction answer = Prediction.newBuilder().setModelName(MODEL).setModelVersion(2).setFrameId(label.getFrameId())
                        .setCameraId("cam-1").addTopK(ClassScore.newBuilder().setClassName(defect).setProbability(0.9f)).build();
                writer.send(Topic.PREDICTIONS_SHADOW.topicName(), "cam-1", answer.toByteArray());
                live.add(label);
            }
            awaitMetric("linesight_trainer_shadow_answers", v -> v >= 30);
            sendLabels(writer, live.subList(0, 19));
            assertEquals(0, metric("linesight_trainer_shadow_outcomes_total{outcome=\"promoted\"}"), "19 labels are too few");
            assertEquals(19, metric("linesight_accuracy_shadow_labels"));
            sendLabels(writer, live.subList(19, 30));
        }
        assertEquals(1, metric("linesight_trainer_shadow_outcomes_total{outcome=\"promoted\"}"));
        List<ConsumerRecord<String, ModelVersion>> after = TopicReader.await(Topic.MODEL_VERSIONS.topicName(),
                new ModelVersionDeserializer(), r -> r.value().getVersion() == 2 && r.value().getStatus() != ModelStatus.SHADOW
                        && r.value().getCreatedAtMs() > rolledBack.getCreatedAtMs(), 2, WAIT);
        assertEquals(Map.of(MODEL, ModelStatus.SERVING, ServingPointers.shadowKey(MODEL), ModelStatus.REJECTED),
                after.stream().collect(Collectors.toMap(ConsumerRecord::key, r -> r.value().getStatus())), "version 2 serves, and the shadow ended");
    }

    /** Sends the labels and waits for their samples. */
    private static void sendLabels(TopicWriter writer, List<Label> labels) {
        Set<String> keys = new HashSet<>();
        for (Label label : labels) {
            writer.send(Topic.LABELS.topicName(), label.getFrameId(), label.toByteArray());
            keys.add(label.getFrameId() + "/AUDIT");
        }
        TopicReader.await(Topic.SAMPLES.topicName(), new TrainingSampleDeserializer(), r -> keys.contains(r.key()), keys.size(), WAIT);
    }

    /** AUDIT labels {@code from} to {@code to} (exclusive), all disagreeing with what {@code servedVersion} predicted; waits for their samples. */
    private static void sendWrongAuditLabels(TopicWriter writer, int servedVersion, int from, int to) {
        List<Label> labels = new ArrayList<>();
        for (int i = from; i < to; i++) {
            String defect = CLASSES.get(i % 3);
            labels.add(labelFor(writer, ImageSamples.neuImage(defect, 200 + i / 3), defect, LabelSource.AUDIT, servedVersion,
                    CLASSES.get((i + 1) % 3)));
        }
        sendLabels(writer, labels);
    }

    /** A trainer metric by its full name and labels, NaN when absent. */
    private static double metric(String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)").matcher(given().get("/q/metrics").then().extract().asString());
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    private static void awaitMetric(String series, DoublePredicate wanted) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!wanted.test(metric(series)) && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
        assertTrue(wanted.test(metric(series)), series + " is " + metric(series));
    }

    @Test
    void manualRunsNeedAdminCredentials() {
        given().contentType("application/json").body("{}").post("/api/v1/training/run").then().statusCode(401);
    }

    private static Label labelFor(TopicWriter writer, byte[] image, String truth, LabelSource source, int servedVersion,
            String predicted) {
        String frameId = UUID.randomUUID().toString();
        Frame frame = Frame.newBuilder().setFrameId(frameId).setCameraId("cam-1").setContentType("image/jpeg")
                .setImage(ByteString.copyFrom(image)).setSha256(Sha256.hex(image)).setAudit(source == LabelSource.AUDIT).build();
        RecordMetadata where = writer.send(Topic.FRAMES.topicName(), "cam-1", frame.toByteArray());
        return Label.newBuilder().setFrameId(frameId).setLabel(truth).setSource(source).setOperatorId("op")
                .setFrameRef(RecordRef.newBuilder().setTopic(where.topic()).setPartition(where.partition()).setOffset(where.offset()))
                .setServedModelVersion(servedVersion).setPredictedClass(predicted).setCameraId("cam-1").build();
    }

    /** Version 1: an untrained, seeded ResNet18 (width 8, 32x32), published and signed like any version. */
    private static void bootstrap(Path registry) throws IOException {
        FileTrees.deleteRecursively(registry);
        ResNetSpec spec = new ResNetSpec(CLASSES, 32, 8, true);
        try (ResNetModel model = ResNetModel.create(spec, 1, 2)) {
            ModelVersions.publish(new RegistryPublisher(new ModelRegistry(registry), SigningKeys.signingKey(TestSigningKey.SIGNING.toString())),
                    MODEL, 1, 0, model,
                    Evaluation.fromConfusion(CLASSES, new int[3][3]), new ModelManifest.Lineage(0, List.of(), "untrained", null), null);
        }
    }

}
