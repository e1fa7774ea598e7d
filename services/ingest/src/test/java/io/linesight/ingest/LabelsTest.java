package io.linesight.ingest;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.linesight.common.RedisKeys;
import io.linesight.common.Topic;
import io.linesight.localstack.Credentials;
import io.linesight.localstack.ImageSamples;
import io.linesight.localstack.LocalInfra;
import io.linesight.proto.ActivationMap;
import io.linesight.proto.ClassScore;
import io.linesight.proto.Decision;
import io.linesight.proto.Label;
import io.linesight.proto.LabelDeserializer;
import io.linesight.proto.LabelSource;
import io.linesight.proto.ModelStatus;
import io.linesight.proto.ModelVersion;
import io.linesight.proto.Prediction;
import io.linesight.testsupport.InfraResource;
import io.linesight.testsupport.TopicReader;
import io.linesight.testsupport.TopicWriter;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import io.restassured.response.ValidatableResponse;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(InfraResource.class)
class LabelsTest {
    private static final List<String> CLASSES = List.of("crazing", "inclusion", "scratches");

    @Inject
    RedisDataSource redis;

    @BeforeEach
    void aVersionServes() throws InterruptedException {
        ModelVersion pointer = ModelVersion.newBuilder().setModelName("defects").setVersion(4).addAllClasses(CLASSES)
                .setInputSize(32).setInputChannels(3).setStatus(ModelStatus.SERVING).build();
        try (TopicWriter writer = new TopicWriter()) {
            writer.send(Topic.MODEL_VERSIONS.topicName(), "defects", pointer.toByteArray());
        }
        String probe = postFrame("cam-probe", "crazing", 1).getString("frameId");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (label(probe, "nope", "REVIEW").extract().statusCode() == 503 && System.nanoTime() < deadline) {
            Thread.sleep(200);
        }
    }

    @Test
    void labelCarriesFrameReferenceAndTheVersionThatServedIt() {
        JsonPath frame = postFrame("cam-7", "scratches", 3);
        String frameId = frame.getString("frameId");
        servedBy(frameId, 3, "inclusion", 0.61f);

        JsonPath accepted = label(frameId, "scratches", "CORRECTION").statusCode(202).extract().jsonPath();

        Label label = awaitLabel(frameId, LabelSource.CORRECTION);
        assertEquals(accepted.getInt("offset"), awaitLabelRecord(frameId, LabelSource.CORRECTION).offset());
        assertEquals(frame.getInt("partition"), label.getFrameRef().getPartition());
        assertEquals(frame.getLong("offset"), label.getFrameRef().getOffset());
        assertEquals(Topic.FRAMES.topicName(), label.getFrameRef().getTopic());
        assertEquals("scratches", label.getLabel());
        assertEquals(3, label.getServedModelVersion());
        assertEquals("inclusion", label.getPredictedClass());
        assertEquals("cam-7", label.getCameraId());
        assertEquals("operator", label.getOperatorId());
    }

    @Test
    void sameLabelTwiceIsPublishedOnce() {
        String frameId = postFrame("cam-1", "crazing", 4).getString("frameId");

        label(frameId, "crazing", "REVIEW").statusCode(202);
        label(frameId, "crazing", "REVIEW").statusCode(200).body("duplicate", equalTo(true));

        List<ConsumerRecord<String, Label>> records = TopicReader.await(Topic.LABELS.topicName(), new LabelDeserializer(),
                r -> r.value().getFrameId().equals(frameId), 2, Duration.ofSeconds(3));
        assertEquals(1, records.size());
    }

    @Test
    void badLabelsAreRefusedWithTheirReason() {
        String frameId = postFrame("cam-1", "patches", 5).getString("frameId");
        long before = TopicReader.size(Topic.LABELS.topicName());

        label(frameId, "rust", "REVIEW").statusCode(400).body("error", equalTo("unknown_class"))
                .body("detail", containsString("[crazing, inclusion, scratches]"));
        label(frameId, "crazing", "GUESS").statusCode(400).body("error", equalTo("bad_source"));
        label("no-such-frame", "crazing", "REVIEW").statusCode(404).body("error", equalTo("unknown_frame"));
        redis.value(String.class).set(RedisKeys.frame("old-frame"),
                "{\"partition\":0,\"offset\":1,\"camera\":\"c\",\"sha256\":\"x\",\"audit\":false,\"receivedAtMs\":"
                        + (System.currentTimeMillis() - Duration.ofDays(8).toMillis()) + "}");
        label("old-frame", "crazing", "REVIEW").statusCode(410).body("error", equalTo("frame_expired"));

        assertEquals(before, TopicReader.size(Topic.LABELS.topicName()));
    }

    @Test
    void auditLabelsOnlyForFramesChosenForAudit() {
        JsonPath chosen = null;
        JsonPath notChosen = null;
        for (int i = 41; i < 80 && (chosen == null || notChosen == null); i++) {
            JsonPath frame = postFrame("cam-a", "crazing", i);
            if (frame.getBoolean("audit")) {
                chosen = chosen == null ? frame : chosen;
            } else {
                notChosen = notChosen == null ? frame : notChosen;
            }
        }
        String shown = notChosen.getString("frameId");
        long before = TopicReader.size(Topic.LABELS.topicName());

        label(shown, "crazing", "AUDIT").statusCode(400).body("error", equalTo("not_an_audit_frame"));
        assertEquals(before, TopicReader.size(Topic.LABELS.topicName()), "nothing published");
        label(chosen.getString("frameId"), "crazing", "AUDIT").statusCode(202);
        label(shown, "crazing", "REVIEW").statusCode(202);
    }

    @Test
    void theOperatorIsWhoLoggedInNeverTheBody() {
        String frameId = postFrame("cam-1", "inclusion", 7).getString("frameId");
        given().header("Authorization", Credentials.ADMIN.devAuthorization()).contentType("application/json")
                .body(Map.of("frameId", frameId, "label", "inclusion", "source", "REVIEW", "operator", "mallory"))
                .post("/api/v1/labels").then().statusCode(202);

        assertEquals("admin", awaitLabel(frameId, LabelSource.REVIEW).getOperatorId());
    }

    @Test
    void anOperatorMayRelabelAFrameOnlyUpToTheLimit() {
        String frameId = postFrame("cam-1", "scratches", 8).getString("frameId");
        List<String> answers = List.of("crazing", "inclusion", "scratches");
        for (String answer : answers) {
            label(frameId, answer, "REVIEW").statusCode(202);
        }
        label(frameId, "crazing", "REVIEW").statusCode(429).body("error", equalTo("relabel_limit"));
        label(frameId, "crazing", "CORRECTION").statusCode(429).body("error", equalTo("relabel_limit"));
        label(frameId, "scratches", "REVIEW").statusCode(200).body("duplicate", equalTo(true));
        // Another operator still has their own allowance.
        given().header("Authorization", Credentials.ADMIN.devAuthorization()).contentType("application/json")
                .body(Map.of("frameId", frameId, "label", "crazing", "source", "CORRECTION")).post("/api/v1/labels").then().statusCode(202);

        List<ConsumerRecord<String, Label>> published = TopicReader.await(Topic.LABELS.topicName(), new LabelDeserializer(),
                r -> r.value().getFrameId().equals(frameId), 5, Duration.ofSeconds(5));
        assertEquals(List.of("crazing", "inclusion", "scratches", "crazing"), published.stream().map(r -> r.value().getLabel()).toList());
    }

    @Test
    void labelsNeedOperatorCredentials() {
        String frameId = postFrame("cam-1", "inclusion", 6).getString("frameId");
        String body = "{\"frameId\":\"" + frameId + "\",\"label\":\"crazing\",\"source\":\"REVIEW\"}";

        given().contentType("application/json").body(body).post("/api/v1/labels").then().statusCode(401);
        given().header("Authorization", Credentials.CAMERA.devAuthorization()).contentType("application/json").body(body).post("/api/v1/labels").then().statusCode(403);
        given().get("/api/v1/review/queue").then().statusCode(401);
    }

    @Test
    void reviewQueueShowsRecheckPartsFirstThenAuditFramesBlindThenUncertainPredictionsWithTopK() throws Exception {
        String audit = null;
        String review = null;
        String recheck = null;
        for (int i = 10; i < 60 && (audit == null || review == null || recheck == null); i++) {
            JsonPath frame = postFrame("cam-q", "pitted_surface", i);
            if (frame.getBoolean("audit")) {
                audit = audit == null ? frame.getString("frameId") : audit;
            } else if (review == null) {
                review = frame.getString("frameId");
            } else if (recheck == null) {
                recheck = frame.getString("frameId");
            }
        }
        // Its activation map states 3 x 3 cells but holds 4: a malformed record is not drawn.
        Prediction uncertain = recordedFirst(servedBy(review, 4, "crazing", 0.01f).toBuilder().setActivationMap(ActivationMap.newBuilder()
                .setWidth(3).setHeight(3).setCells(ByteString.copyFrom(new byte[] {1, 2, 3, 4}))).build());
        // More confident than the uncertain one, but the line is holding the part: it comes first, even answered from
        // the cache (a repeated image), which otherwise never queues a frame twice.
        Prediction held = recordedFirst(servedBy(recheck, 4, "crazing", 0.6f, Decision.RECHECK).toBuilder().setCached(true)
                .setActivationMap(ActivationMap.newBuilder().setWidth(2).setHeight(2).setCells(ByteString.copyFrom(new byte[] {0, 9, (byte) 255, 40})))
                .build());
        try (TopicWriter writer = new TopicWriter()) {
            writer.send(Topic.PREDICTIONS.topicName(), "cam-q", uncertain.toByteArray());
            writer.send(Topic.PREDICTIONS.topicName(), "cam-q", held.toByteArray());
        }

        String auditId = audit;
        String reviewId = review;
        List<Map<String, Object>> items = List.of();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline && items.stream().noneMatch(i -> reviewId.equals(i.get("frameId")))) {
            Thread.sleep(200);
            items = given().header("Authorization", Credentials.OPERATOR.devAuthorization()).get("/api/v1/review/queue?limit=500").then().statusCode(200).extract().jsonPath().getList("$");
        }
        Map<String, Object> auditItem = items.stream().filter(i -> auditId.equals(i.get("frameId"))).findFirst().orElseThrow();
        Map<String, Object> reviewItem = items.stream().filter(i -> reviewId.equals(i.get("frameId"))).findFirst().orElseThrow();
        assertEquals("AUDIT", auditItem.get("kind"));
        assertNull(auditItem.get("topK"), "audit items are shown without the model's answer");
        assertEquals("REVIEW", reviewItem.get("kind"));
        assertEquals("crazing", ((List<Map<String, Object>>) reviewItem.get("topK")).get(0).get("className"));
        assertTrue(items.indexOf(auditItem) < items.indexOf(reviewItem), "audit items come first");
        String recheckId = recheck;
        Map<String, Object> recheckItem = items.stream().filter(i -> recheckId.equals(i.get("frameId"))).findFirst().orElseThrow();
        assertEquals("RECHECK", recheckItem.get("decision"));
        assertNull(reviewItem.get("decision"), "a version without an operating point decides nothing");
        assertTrue(items.indexOf(recheckItem) < items.indexOf(auditItem), "RECHECK parts come before everything");
        assertEquals(Map.of("width", 2, "height", 2, "cells", List.of(0, 9, 255, 40)), recheckItem.get("heatmap"),
                "the page gets the activation map as unsigned cells");
        assertNull(reviewItem.get("heatmap"), "a map whose size does not match its cells is dropped");

        label(recheckId, "scratches", "REVIEW").statusCode(202);
        assertEquals(Decision.RECHECK, awaitLabel(recheckId, LabelSource.REVIEW).getServedDecision(), "the label names the decision it judges");
        label(reviewId, "crazing", "REVIEW").statusCode(202);
        List<Map<String, Object>> after = given().header("Authorization", Credentials.OPERATOR.devAuthorization()).get("/api/v1/review/queue?limit=500").then().extract().jsonPath().getList("$");
        assertTrue(after.stream().noneMatch(i -> reviewId.equals(i.get("frameId")) || recheckId.equals(i.get("frameId"))),
                "a labelled frame leaves the queue");
    }

    @Test
    void twoOperatorsAreNeverHandedTheSameFrameAtOnceAndAnAuditCountsOnce() throws Exception {
        String audit = null;
        for (int i = 50; i < 90 && audit == null; i++) {
            JsonPath frame = postFrame("cam-claims", "crazing", i);
            audit = frame.getBoolean("audit") ? frame.getString("frameId") : null;
        }
        String frameId = audit;
        servedBy(frameId, 4, "crazing", 0.9f);

        assertTrue(queueOf(Credentials.OPERATOR).contains(frameId), "handed to the first operator who asks");
        assertFalse(queueOf(Credentials.ADMIN).contains(frameId), "claimed: not handed to a second operator");
        assertFalse(queueOf(Credentials.OPERATOR, "second-page").contains(frameId), "nor to another page on the same log-in");
        assertTrue(queueOf(Credentials.OPERATOR).contains(frameId), "handed again to the operator who holds it");
        given().header("Authorization", Credentials.OPERATOR.devAuthorization()).header("X-Review-Session", "no spaces!")
                .get("/api/v1/review/queue").then().statusCode(400).body("error", equalTo("bad_session"));
        Thread.sleep(3500); // the test lease is 3 s
        assertTrue(queueOf(Credentials.ADMIN).contains(frameId), "the lease ended: another operator takes it");
        assertFalse(queueOf(Credentials.OPERATOR).contains(frameId), "now held by the second operator");

        long before = auditLabelsCounted();
        label(Credentials.OPERATOR, frameId, "crazing", "AUDIT").statusCode(202);
        label(Credentials.ADMIN, frameId, "inclusion", "AUDIT").statusCode(202);
        assertEquals(before + 1, auditLabelsCounted(), "a frame's audit outcome is counted once, however many operators label it");
        assertFalse(queueOf(Credentials.ADMIN).contains(frameId), "a labelled frame leaves the queue for every operator");
        assertFalse(queueOf(Credentials.OPERATOR).contains(frameId));
    }

    private static List<String> queueOf(Credentials operator) {
        return queueOf(operator, "default");
    }

    private static List<String> queueOf(Credentials operator, String session) {
        return given().header("Authorization", operator.devAuthorization()).header("X-Review-Session", session)
                .get("/api/v1/review/queue?limit=500").then().statusCode(200).extract().jsonPath().getList("frameId");
    }

    private static long auditLabelsCounted() {
        Long counted = given().header("Authorization", Credentials.OPERATOR.devAuthorization()).get("/api/v1/review/summary").then()
                .statusCode(200).extract().jsonPath().getObject("auditLabels", Long.class);
        return counted == null ? 0 : counted;
    }

    @Test
    void aLabelRefusedDuringABrokerOutageIsPublishedExactlyOnceWhenRetried() throws Exception {
        LocalInfra servers = InfraResource.localInfra().orElse(null);
        Assumptions.assumeTrue(servers != null, "needs this JVM's own broker process, to kill it");
        String frameId = postFrame("cam-outage", "scratches", 9).getString("frameId");

        servers.kill(LocalInfra.broker(1));
        try {
            label(frameId, "scratches", "REVIEW").statusCode(503).body("error", equalTo("broker_unavailable"));
        } finally {
            servers.restart(LocalInfra.broker(1));
        }
        // The review page retries a 503 every 2 s: the retry must publish, not answer "duplicate".
        int status = 503;
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (status != 202 && System.nanoTime() < deadline) {
            status = label(frameId, "scratches", "REVIEW").extract().statusCode();
            assertTrue(status == 202 || status == 503, "answer while the broker comes back: " + status);
            Thread.sleep(status == 202 ? 0 : 2000);
        }
        assertEquals(202, status, "the retried label was published");
        label(frameId, "scratches", "REVIEW").statusCode(200).body("duplicate", equalTo(true));

        List<ConsumerRecord<String, Label>> published = TopicReader.await(Topic.LABELS.topicName(), new LabelDeserializer(),
                r -> r.value().getFrameId().equals(frameId), 2, Duration.ofSeconds(10));
        assertEquals(1, published.size(), "one label record for the frame");
    }

    private JsonPath postFrame(String camera, String defect, int number) {
        return given().header("Authorization", Credentials.CAMERA.devAuthorization()).contentType("image/jpeg").header("X-Camera-Id", camera).body(ImageSamples.neuImage(defect, number))
                .post("/api/v1/frames").then().statusCode(202).extract().jsonPath();
    }

    private static ValidatableResponse label(String frameId, String label, String source) {
        return label(Credentials.OPERATOR, frameId, label, source);
    }

    private static ValidatableResponse label(Credentials operator, String frameId, String label, String source) {
        return given().header("Authorization", operator.devAuthorization()).contentType("application/json")
                .body(Map.of("frameId", frameId, "label", label, "source", source))
                .post("/api/v1/labels").then();
    }

    /** What the classifier writes once per frame (its first prediction), as the labels API reads it. */
    private Prediction servedBy(String frameId, int version, String top, float probability) {
        return servedBy(frameId, version, top, probability, Decision.DECISION_UNSPECIFIED);
    }

    private Prediction servedBy(String frameId, int version, String top, float probability, Decision decision) {
        Prediction prediction = Prediction.newBuilder().setFrameId(frameId).setModelName("defects").setModelVersion(version)
                .addTopK(ClassScore.newBuilder().setClassName(top).setProbability(probability)).setDecision(decision)
                .setPredictedAtMs(System.currentTimeMillis()).build();
        return recordedFirst(prediction);
    }

    /** Stores the frame's first prediction, as the classifier does. */
    private Prediction recordedFirst(Prediction prediction) {
        redis.value(byte[].class).set(RedisKeys.firstPrediction(prediction.getFrameId()), prediction.toByteArray());
        return prediction;
    }

    private static Label awaitLabel(String frameId, LabelSource source) {
        return awaitLabelRecord(frameId, source).value();
    }

    private static ConsumerRecord<String, Label> awaitLabelRecord(String frameId, LabelSource source) {
        List<ConsumerRecord<String, Label>> records = TopicReader.await(Topic.LABELS.topicName(), new LabelDeserializer(),
                r -> r.value().getFrameId().equals(frameId) && r.value().getSource() == source, 1, Duration.ofSeconds(30));
        assertEquals(1, records.size());
        assertEquals(frameId, records.get(0).key(), "labels are keyed by frame id");
        return records.get(0);
    }
}
