package io.linesight.classifier;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpServer;
import io.linesight.common.DecisionTopics;
import io.linesight.common.FileTrees;
import io.linesight.common.RedisKeys;
import io.linesight.common.Sha256;
import io.linesight.common.Topic;
import io.linesight.common.registry.ManifestSignature;
import io.linesight.common.registry.ModelManifest;
import io.linesight.common.registry.ModelRegistry;
import io.linesight.common.registry.ServingPointers;
import io.linesight.common.registry.SigningKeys;
import io.linesight.localstack.ImageSamples;
import io.linesight.localstack.LocalInfra;
import io.linesight.localstack.MqttSubscription;
import io.linesight.proto.ActivationMap;
import io.linesight.proto.ClassScore;
import io.linesight.proto.Decision;
import io.linesight.proto.Frame;
import io.linesight.proto.FrameDeserializer;
import io.linesight.proto.MalformedRecords;
import io.linesight.proto.ModelFile;
import io.linesight.proto.ModelStatus;
import io.linesight.proto.ModelVersion;
import io.linesight.proto.Prediction;
import io.linesight.proto.PredictionDeserializer;
import io.linesight.testsupport.InfraResource;
import io.linesight.testsupport.TopicReader;
import io.linesight.testsupport.TopicWriter;
import io.quarkus.redis.datasource.RedisDataSource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The classifier against a real broker and Redis, serving the fixture models written by the training jar in
 * its own process: version 1 and 2 (seeded) and 3 (version 1's corrupt twin).
 */
@QuarkusTest
@QuarkusTestResource(InfraResource.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClassifierTest {
    private static final String MODEL = "fixture";
    private static final String LINE = "line-7";
    private static final List<String> CLASSES = List.of("crazing", "inclusion", "scratches");
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static TopicWriter writer;

    @Inject
    RedisDataSource redis;

    @BeforeAll
    static void openWriter() {
        writer = new TopicWriter();
    }

    @AfterAll
    static void closeWriter() {
        writer.close();
    }

    @Test
    @Order(1)
    void notReadyAndNotConsumingUntilAVersionIsPromoted() {
        given().get("/q/health/ready").then().statusCode(503);
        String early = sendFrame("cam-early", ImageSamples.neuImage("crazing", 1)).frameId();

        promote(1);

        Prediction prediction = awaitPredictions(Set.of(early)).get(early);
        assertEquals(1, prediction.getModelVersion());
        given().get("/q/health/ready").then().statusCode(200);
    }

    @Test
    @Order(2)
    void everyFrameGetsAPredictionWithTopKAndItsFrameReference() {
        Map<String, Sent> sent = new HashMap<>();
        for (int i = 1; i <= 24; i++) {
            String defect = CLASSES.get(i % 3);
            Sent frame = sendFrame("cam-" + (i % 4), ImageSamples.neuImage(defect, 10 + i));
            sent.put(frame.frameId(), frame);
        }

        Map<String, Prediction> predictions = awaitPredictions(sent.keySet());

        for (Sent frame : sent.values()) {
            Prediction prediction = predictions.get(frame.frameId());
            assertEquals(MODEL, prediction.getModelName());
            assertEquals(1, prediction.getModelVersion());
            assertEquals(frame.camera(), prediction.getCameraId());
            assertEquals(frame.where().partition(), prediction.getFrameRef().getPartition());
            assertEquals(frame.where().offset(), prediction.getFrameRef().getOffset());
            assertEquals(3, prediction.getTopKCount());
            assertTrue(CLASSES.containsAll(prediction.getTopKList().stream().map(ClassScore::getClassName).toList()));
            assertTrue(prediction.getTopK(0).getProbability() >= prediction.getTopK(1).getProbability());
            assertTrue(prediction.getTimings().getInferenceUs() > 0);
            // The fixture's input is 32 with the CIFAR stem (stride 8): a 4 x 4 map of the top class, peak at 255.
            ActivationMap map = prediction.getActivationMap();
            assertEquals(4, map.getWidth());
            assertEquals(4, map.getHeight());
            assertEquals(16, map.getCells().size());
            int peak = 0;
            for (byte cell : map.getCells().toByteArray()) {
                peak = Math.max(peak, cell & 0xff);
            }
            assertTrue(peak == 255 || map.getCells().equals(ByteString.copyFrom(new byte[16])), "peak " + peak + " in " + map);
        }
        assertTrue(predictions.values().stream().map(p -> p.getActivationMap().getCells()).distinct().count() > 1,
                "maps follow the image");
        // The label-free accuracy estimate of camera 0 is the mean top probability of its six predictions.
        double topSum = predictions.values().stream().filter(p -> p.getCameraId().equals("cam-0"))
                .mapToDouble(p -> p.getTopK(0).getProbability()).sum();
        assertEquals(6, series("linesight_classifier_confidence_count", "camera=\"cam-0\",version=\"1\""));
        assertEquals(topSum, series("linesight_classifier_confidence_sum", "camera=\"cam-0\",version=\"1\""), 1e-4);
    }

    @Test
    @Order(3)
    void sameImageAgainIsAnsweredFromTheCacheAndFirstPredictionIsKept() {
        byte[] image = ImageSamples.neuImage("scratches", 77);
        String first = sendFrame("cam-c", image).frameId();
        assertFalse(awaitPredictions(Set.of(first)).get(first).getCached());

        // Every Redis call is bounded by 20 ms; on a loaded machine one may time out and the cache is bypassed for
        // a moment (by design), so the same image is sent a few times until the cache answers.
        Prediction again = null;
        for (int attempt = 0; attempt < 10 && (again == null || !again.getCached()); attempt++) {
            String next = sendFrame("cam-c", image).frameId();
            again = awaitPredictions(Set.of(next)).get(next);
            assertEquals(next, again.getFrameId());
        }

        assertTrue(again.getCached(), "a frame with an image seen before must be a cache hit");
        byte[] stored = redis.value(byte[].class).get(RedisKeys.firstPrediction(first));
        assertTrue(stored != null && stored.length > 0, "first prediction recorded for the labels API");
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("linesight_classifier_cache_total{result=\"hit\"}"), metrics);

        // A record that claims the cached image's sha256 for other bytes gets no cached answer: the classifier hashes
        // the bytes itself.
        byte[] other = ImageSamples.neuImage("inclusion", 78);
        String forged = sendFrame("cam-c", other, Sha256.hex(image)).frameId();
        assertFalse(awaitPredictions(Set.of(forged)).get(forged).getCached(), "a forged sha256 must not hit the cache");
    }

    @Test
    @Order(4)
    void poisonFramesGoToTheDeadLetterTopicAndTheStreamGoesOn() {
        Sent truncated = sendFrame("cam-p", ImageSamples.truncatedJpeg());
        Sent text = sendFrame("cam-p", ImageSamples.text("not a jpeg"));
        byte[] notProtobuf = {(byte) 0xff, 0x01, 0x02};
        writer.send(Topic.FRAMES.topicName(), "cam-p-garbage", notProtobuf);
        Sent good = sendFrame("cam-p", ImageSamples.neuImage("inclusion", 5));

        assertTrue(awaitPredictions(Set.of(good.frameId())).containsKey(good.frameId()));
        List<ConsumerRecord<String, Frame>> dead = TopicReader.await(Topic.FRAMES_DLQ.topicName(), new FrameDeserializer(),
                r -> r.value() != null && Set.of(truncated.frameId(), text.frameId()).contains(r.value().getFrameId()), 2, WAIT);
        assertEquals(2, dead.size());
        for (ConsumerRecord<String, Frame> record : dead) {
            String reason = new String(record.headers().lastHeader(MalformedRecords.DLQ_REASON_HEADER).value(), StandardCharsets.UTF_8);
            assertTrue(reason.startsWith("undecodable"), reason);
        }
        List<ConsumerRecord<String, byte[]>> garbage = TopicReader.await(Topic.FRAMES_DLQ.topicName(),
                new ByteArrayDeserializer(), r -> "cam-p-garbage".equals(r.key()), 1, WAIT);
        assertEquals(1, garbage.size(), "a record that is not a Frame is dead-lettered too");
        assertArrayEquals(notProtobuf, garbage.get(0).value(), "with its original bytes");
        String reason = new String(garbage.get(0).headers().lastHeader(MalformedRecords.DLQ_REASON_HEADER).value(), StandardCharsets.UTF_8);
        assertTrue(reason.startsWith("malformed_protobuf"), reason);
    }

    @Test
    @Order(5)
    void corruptTwinIsRefusedAndTheServingVersionKeepsServing() throws Exception {
        promote(3);

        long deadline = System.nanoTime() + WAIT.toNanos();
        String metrics = "";
        while (System.nanoTime() < deadline && !metrics.contains("linesight_classifier_swaps_refused_total{reason=\"checksum\"}")) {
            TimeUnit.MILLISECONDS.sleep(200);
            metrics = given().get("/q/metrics").then().extract().asString();
        }
        assertTrue(metrics.contains("linesight_classifier_swaps_refused_total{reason=\"checksum\"} 1.0"), metrics);
        String frame = sendFrame("cam-x", ImageSamples.neuImage("patches", 3)).frameId();
        assertEquals(1, awaitPredictions(Set.of(frame)).get(frame).getModelVersion());
        given().get("/q/health/ready").then().statusCode(200).body("checks.find { it.name == 'model' }.data.version", equalTo(1));
    }

    @Test
    @Order(6)
    void swapUnderContinuousTrafficLosesNothingAndEachPredictionNamesItsVersion() throws Exception {
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 120; i++) {
            order.add(sendFrame("cam-s" + (i % 3), ImageSamples.neuImage(CLASSES.get(i % 3), 100 + i)).frameId());
            if (i == 40) {
                promote(2);
            }
            TimeUnit.MILLISECONDS.sleep(25);
        }

        Map<String, Prediction> predictions = awaitPredictions(new HashSet<>(order));
        List<ConsumerRecord<String, Prediction>> all = TopicReader.await(Topic.PREDICTIONS.topicName(),
                new PredictionDeserializer(), r -> order.contains(r.value().getFrameId()), Integer.MAX_VALUE, Duration.ofSeconds(3));

        assertEquals(order.size(), predictions.size(), "every frame predicted");
        assertEquals(order.size(), all.size(), "no frame classified twice");
        assertEquals(1, predictions.get(order.get(0)).getModelVersion());
        assertEquals(2, predictions.get(order.get(order.size() - 1)).getModelVersion());
        for (Prediction p : predictions.values()) {
            assertTrue(p.getModelVersion() == 1 || p.getModelVersion() == 2);
        }
    }

    @Test
    @Order(7)
    void forgedVersionsAreRefusedBeforeAnyByteIsUsedAndWriteNothingOutsideTheCache() throws Exception {
        Path registry = Path.of(System.getProperty("test.fixture.registry"));
        SigningKeys.SigningKey fixtureKey = SigningKeys.signingKey("target/fixture-keys/signing-key.pem");
        KeyPair other = SigningKeys.generate();
        SigningKeys.SigningKey wrongKey = new SigningKeys.SigningKey(other.getPrivate(), other.getPublic());
        ModelManifest good = new ModelRegistry(registry).manifest(MODEL, 1);
        List<ModelManifest.FileEntry> escaping = new ArrayList<>(good.files());
        escaping.add(new ModelManifest.FileEntry("serving/../../../escaped-41", good.files().get(0).sha256(), 10));
        List<ModelManifest.FileEntry> huge = good.files().stream().map(f -> f.path().startsWith("serving/variables/variables.data")
                ? new ModelManifest.FileEntry(f.path(), f.sha256(), 1L << 40) : f).toList();
        AtomicInteger foreignRequests = new AtomicInteger();
        HttpServer foreign = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        foreign.createContext("/", exchange -> {
            foreignRequests.incrementAndGet();
            exchange.sendResponseHeaders(500, -1);
            exchange.close();
        });
        foreign.start();
        try {
            announce(forge(registry, 41, escaping, fixtureKey), registry.toUri().toString());
            announce(forge(registry, 42, null, null), registry.toUri().toString());
            announce(forge(registry, 43, null, wrongKey), registry.toUri().toString());
            announce(forge(registry, 44, huge, fixtureKey), registry.toUri().toString());
            announce(good, "http://127.0.0.1:" + foreign.getAddress().getPort() + "/registry/");
            ModelManifest lying = forge(registry, 45, null, fixtureKey);
            writer.send(Topic.MODEL_VERSIONS.topicName(), MODEL, ServingPointers.of(lying, ServingPointers.artifactUri(
                    registry.toUri().toString(), MODEL, 45), ModelStatus.SERVING).toBuilder()
                    .setFiles(0, ModelFile.newBuilder().setPath("serving/saved_model.pb").setSha256("0".repeat(64))).build().toByteArray());
            // Version 1 again, as the newest pointer: once it serves, every forged pointer before it was handled.
            announce(good, registry.toUri().toString());
            awaitServing(1);

            Map<String, Double> refused = refusals();
            assertEquals(1.0, refused.get("bad_path"), refused.toString());
            assertEquals(3.0, refused.get("signature"), "unsigned, wrong key, pointer differing from its manifest: " + refused);
            assertEquals(1.0, refused.get("oversized"), refused.toString());
            assertEquals(1.0, refused.get("untrusted_source"), refused.toString());
            assertEquals(0, foreignRequests.get(), "no request to an address outside the trusted registry URLs");
            try (Stream<Path> files = Files.walk(Path.of("target"))) {
                assertEquals(List.of(), files.filter(f -> f.getFileName().toString().equals("escaped-41")).toList());
            }
            try (Stream<Path> cached = Files.list(Path.of("target/model-cache", MODEL))) {
                Set<String> forged = Set.of("41", "42", "43", "44", "45");
                assertEquals(Set.of(), cached.map(p -> p.getFileName().toString()).filter(forged::contains).collect(Collectors.toSet()),
                        "refused versions leave nothing in the cache");
            }
        } finally {
            foreign.stop(0);
        }
    }

    @Test
    @Order(8)
    void aVersionWhoseRegistryAnswersLateServesOnceItAnswers() throws Exception {
        Path registry = Path.of(System.getProperty("test.fixture.registry"));
        Path late = Path.of(registry + "-late");
        Path staged = Path.of("target/late-staging/46");
        // Version 2's files as version 46, not in the classifier's cache: it must be fetched.
        ModelManifest v46 = forge(registry.resolve(MODEL).resolve("2"), staged, 46, null,
                SigningKeys.signingKey("target/fixture-keys/signing-key.pem"));
        FileTrees.deleteRecursively(late);
        announce(v46, late.toUri().toString());
        TimeUnit.SECONDS.sleep(6);
        given().get("/q/metrics").then().body(containsString("linesight_classifier_fetch_retries_total"));
        assertEquals(1, servingVersion(), "version 1 keeps serving while the registry does not answer");

        Files.createDirectories(late.resolve(MODEL));
        Files.move(staged, late.resolve(MODEL).resolve("46"));

        awaitServing(46);
        String frame = sendFrame("cam-late", ImageSamples.neuImage("crazing", 77)).frameId();
        assertEquals(46, awaitPredictions(Set.of(frame)).get(frame).getModelVersion());
    }

    @Test
    @Order(9)
    void decisionsFollowTheOperatingPointAndReachTheLineOverMqttWhileTheBrokerComesAndGoes() throws Exception {
        // Version 46 serves: version 2's files, whose manifest carries thresholds fitted on NEU images (crazing = good).
        ModelManifest.OperatingPoint point = ModelRegistry.readManifest(Path.of(System.getProperty("test.fixture.registry"))
                .resolve(MODEL).resolve("2")).operatingPoint();
        assertEquals(List.of("crazing"), point.goodClasses());
        // A pointer that lowers the good class's threshold (to pass more parts) is not the signed manifest's: refused.
        Path registry = Path.of(System.getProperty("test.fixture.registry"));
        ModelVersion honest = ServingPointers.of(new ModelRegistry(registry).manifest(MODEL, 2),
                ServingPointers.artifactUri(registry.toUri().toString(), MODEL, 2), ModelStatus.SERVING);
        double refusedBefore = refusals().getOrDefault("signature", 0.0);
        writer.send(Topic.MODEL_VERSIONS.topicName(), MODEL, honest.toBuilder().setOperatingPoint(honest.getOperatingPoint()
                .toBuilder().putThresholds("crazing", 0.0).setBoundMet(true)).build().toByteArray());
        long refusedBy = System.nanoTime() + WAIT.toNanos();
        while (refusals().getOrDefault("signature", 0.0) <= refusedBefore && System.nanoTime() < refusedBy) {
            TimeUnit.MILLISECONDS.sleep(200);
        }
        assertEquals(refusedBefore + 1, refusals().getOrDefault("signature", 0.0), "the forged operating point is refused");
        // Signed by the trusted key, but its thresholds name a class the model does not have: refused too.
        ModelManifest.OperatingPoint alien = new ModelManifest.OperatingPoint(List.of("rust"), Map.of("rust", 0.5), 0.05, 0.95,
                1, 1, 0, 0, 0, 0, 0, 0, false, 59);
        ModelManifest v47 = forge(registry.resolve(MODEL).resolve("2"), registry.resolve(MODEL).resolve("47"), 47, null, alien,
                SigningKeys.signingKey("target/fixture-keys/signing-key.pem"));
        double misfitBefore = refusals().getOrDefault("operating_point", 0.0);
        announce(v47, registry.toUri().toString());
        while (refusals().getOrDefault("operating_point", 0.0) <= misfitBefore && System.nanoTime() < refusedBy) {
            TimeUnit.MILLISECONDS.sleep(200);
        }
        assertEquals(misfitBefore + 1, refusals().getOrDefault("operating_point", 0.0), "thresholds that do not fit the model are refused");
        assertEquals(46, servingVersion());
        LocalInfra.Addresses infra = InfraResource.addresses();
        List<String> frames = new ArrayList<>();
        Map<String, Prediction> predictions;
        try (MqttSubscription line = MqttSubscription.start(infra.mqttHost(), infra.mqttPort(), DecisionTopics.ALL)) {
            for (int i = 0; i < 30; i++) {
                frames.add(sendFrame("cam-d" + (i % 2), ImageSamples.neuImage(CLASSES.get(i % 3), 150 + i)).frameId());
            }
            predictions = awaitPredictions(new HashSet<>(frames));
            Map<String, MqttSubscription.Received> heard = new HashMap<>();
            line.await(m -> frames.contains(m.field("frame_id")), frames.size(), WAIT).forEach(m -> heard.put(m.field("frame_id"), m));
            assertEquals(new HashSet<>(frames), heard.keySet(), "every decision reached the MQTT subscriber");
            for (Prediction p : predictions.values()) {
                ClassScore top = p.getTopK(0);
                double threshold = point.thresholds().get(top.getClassName());
                Decision expected = top.getProbability() < threshold ? Decision.RECHECK
                        : point.goodClasses().contains(top.getClassName()) ? Decision.OK : Decision.NG;
                assertEquals(expected, p.getDecision(), "decision of " + p);
                assertEquals(top.getClassName(), p.getDecisionClass());
                assertEquals((float) threshold, p.getDecisionThreshold());
                assertEquals(point.escapeTarget(), p.getEscapeTarget());
                MqttSubscription.Received message = heard.get(p.getFrameId());
                assertEquals("linesight/" + LINE + "/" + p.getCameraId() + "/decision", message.topic());
                assertTrue(message.payload().contains("\"decision\":\"" + expected.name() + "\""), message.payload());
                assertTrue(message.payload().contains("\"version\":46"), message.payload());
            }
        }
        given().get("/q/metrics").then().body(containsString("linesight_classifier_decisions_total{camera=\"cam-d0\""));

        // The MQTT broker dies: frames are still classified, with decisions, on Kafka; MQTT sends are retried, then dropped.
        LocalInfra local = InfraResource.localInfra().orElse(null);
        Assumptions.assumeTrue(local != null, "the MQTT broker is not this JVM's to kill");
        double droppedBefore = mqttOutcome("dropped");
        local.kill("mqtt");
        while (local.isRunning("mqtt")) {
            TimeUnit.MILLISECONDS.sleep(50);
        }
        List<String> during = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            during.add(sendFrame("cam-d0", ImageSamples.neuImage(CLASSES.get(i % 3), 190 + i)).frameId());
        }
        awaitPredictions(new HashSet<>(during)).values()
                .forEach(p -> assertTrue(p.getDecision() != Decision.DECISION_UNSPECIFIED, "decided without MQTT: " + p));
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (mqttOutcome("dropped") < droppedBefore + during.size() && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(200);
        }
        assertEquals(droppedBefore + during.size(), mqttOutcome("dropped"), "each decision MQTT did not take is counted once");
        assertTrue(mqttOutcome("retried") > 0, "sends were retried before being dropped");

        // Back: the client reconnects on its own and decisions flow again.
        local.restart("mqtt");
        try (MqttSubscription line = MqttSubscription.start(infra.mqttHost(), infra.mqttPort(), DecisionTopics.ALL)) {
            TimeUnit.SECONDS.sleep(2);
            List<String> after = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                after.add(sendFrame("cam-d1", ImageSamples.neuImage(CLASSES.get(i % 3), 200 + i)).frameId());
            }
            assertEquals(after.size(), line.await(m -> after.contains(m.field("frame_id")), after.size(), WAIT).size(),
                    "decisions reach MQTT again after the broker's restart");
        }
    }

    /**
     * A camera whose lamp dims mid-stream is flagged alone: its drift score crosses 1 (the alert's threshold) within one
     * window of frames (linesight.drift.window, 50), on the brightness signal; a healthy camera beside it stays below 1
     * over the whole stream, reference included. Mirrored NEU images: contents no earlier test sent, so every frame is
     * inferred, not answered from the cache.
     */
    @Test
    @Order(10)
    void aDimmingCameraIsFlaggedAloneWithinAWindow() throws Exception {
        int reference = 200; // linesight.drift.reference-frames
        int next = 0;
        next = stream(next, reference, false);
        assertTrue(Double.isNaN(drift("cam-drift-a")) || drift("cam-drift-a") < 1);
        for (int chunk = 0; chunk < 4; chunk++) {
            next = stream(next, 25, false);
            assertTrue(drift("cam-drift-a") < 1, "healthy camera a: " + signals("cam-drift-a"));
            assertTrue(drift("cam-drift-b") < 1, "healthy camera b: " + signals("cam-drift-b"));
        }
        int dimmed = 0;
        while (dimmed < 50 && drift("cam-drift-a") < 1) {
            next = stream(next, 10, true);
            dimmed += 10;
            assertTrue(drift("cam-drift-b") < 1, "the healthy camera stays quiet: " + drift("cam-drift-b"));
        }
        assertTrue(drift("cam-drift-a") >= 1, "dimmed camera a after " + dimmed + " frames: " + signals("cam-drift-a"));
        System.out.printf("Drift: camera a flagged after %d dim frames (%s); camera b: %s%n", dimmed, signals("cam-drift-a"), signals("cam-drift-b"));
        // A full window of dim frames: the brightness signal itself has moved, and camera b is still quiet.
        stream(next, 50 - dimmed, true);
        assertTrue(signal("cam-drift-a", "brightness") >= 1, "brightness moved: " + signals("cam-drift-a"));
        assertTrue(drift("cam-drift-b") < 1, "the healthy camera stays quiet: " + signals("cam-drift-b"));
        assertTrue(series("linesight_camera_brightness", "camera=\"cam-drift-a\"") < series("linesight_camera_brightness",
                "camera=\"cam-drift-b\""), "camera a is darker now");
    }

    /**
     * A shadow candidate answers the same audit frames on linesight.predictions.shadow, under its own version, while
     * every prediction still comes from the serving version: inferred frames and cache hits alike (an image the serving
     * version cached before the shadow started, images the shadow answered already); frames not chosen for audit it
     * leaves alone at linesight.classifier.shadow-share 0 (this profile). A new serving pointer ends it, as does
     * REJECTED on the shadow key. The shadow here is the good fixture version that does not serve.
     */
    @Test
    @Order(11)
    void aShadowCandidateAnswersTheSameAuditFramesBesideTheServingPointer() throws Exception {
        int serving = 1;
        int shadowVersion = 2;
        ModelVersion servingPointer = promote(serving);
        awaitServing(serving);
        byte[] cachedEarlier = ImageSamples.neuImage("crazing", 298);
        String earlier = sendAuditFrame("cam-shadow", cachedEarlier).frameId();
        awaitPredictions(Set.of(earlier));
        Path registry = Path.of(System.getProperty("test.fixture.registry"));
        ModelVersion shadow = ServingPointers.shadowBeside(ServingPointers.of(new ModelRegistry(registry).manifest(MODEL, shadowVersion),
                ServingPointers.artifactUri(registry.toUri().toString(), MODEL, shadowVersion), ModelStatus.SHADOW), servingPointer);
        writer.send(Topic.MODEL_VERSIONS.topicName(), ServingPointers.key(shadow), shadow.toByteArray());
        awaitShadowVersion(shadowVersion);
        Set<String> inferred = new HashSet<>();
        for (int i = 0; i < 12; i++) {
            inferred.add(sendAuditFrame("cam-shadow", ImageSamples.neuImage(CLASSES.get(i % 3), 280 + i / 3)).frameId());
        }
        String notAudited = sendFrame("cam-shadow", ImageSamples.neuImage("crazing", 297)).frameId();
        Map<String, Prediction> served = new HashMap<>(awaitPredictions(inferred));
        Set<String> hits = new HashSet<>(Set.of(sendAuditFrame("cam-shadow", cachedEarlier).frameId()));
        for (int i = 0; i < 3; i++) {
            hits.add(sendAuditFrame("cam-shadow", ImageSamples.neuImage(CLASSES.get(i % 3), 280)).frameId());
        }
        Map<String, Prediction> servedHits = awaitPredictions(hits);
        // Most are cache hits; a Redis call past its 20 ms bound bypasses the cache for a moment (by design).
        assertTrue(servedHits.values().stream().filter(Prediction::getCached).count() >= 2, "repeated images are cache hits");
        served.putAll(servedHits);
        assertTrue(served.values().stream().allMatch(p -> p.getModelVersion() == serving), "the serving version still answers");
        Set<String> sent = served.keySet();
        Map<String, Prediction> shadowed = new HashMap<>();
        TopicReader.await(Topic.PREDICTIONS_SHADOW.topicName(), new PredictionDeserializer(),
                r -> sent.contains(r.value().getFrameId()) || r.value().getFrameId().equals(notAudited), sent.size() + 1, Duration.ofSeconds(20))
                .forEach(r -> shadowed.put(r.value().getFrameId(), r.value()));
        assertEquals(sent, shadowed.keySet(), "the shadow answered every audit frame, cache hits too, and no other frame");
        assertTrue(shadowed.values().stream().allMatch(p -> p.getModelVersion() == shadowVersion && p.getTopKCount() == 3
                && p.getCameraId().equals("cam-shadow")));

        promote(serving); // a new serving pointer, even of the same version: the shadow no longer runs beside it
        awaitShadowVersion(0);
        assertEquals(0, series("linesight_classifier_shadow_version", ""), "a new serving pointer ended the shadow");
        String after = sendAuditFrame("cam-shadow", ImageSamples.neuImage("crazing", 299)).frameId();
        awaitPredictions(Set.of(after));
        assertTrue(TopicReader.await(Topic.PREDICTIONS_SHADOW.topicName(), new PredictionDeserializer(),
                r -> r.value().getFrameId().equals(after), 1, Duration.ofSeconds(3)).isEmpty(), "no shadow answer after it ended");

        ModelVersion again = ServingPointers.shadowBeside(shadow, promote(serving));
        writer.send(Topic.MODEL_VERSIONS.topicName(), ServingPointers.key(again), again.toByteArray());
        awaitShadowVersion(shadowVersion);
        assertEquals(shadowVersion, series("linesight_classifier_shadow_version", ""), "shadowed again beside the new pointer");
        ModelVersion ended = again.toBuilder().setStatus(ModelStatus.REJECTED).build();
        writer.send(Topic.MODEL_VERSIONS.topicName(), ServingPointers.key(ended), ended.toByteArray());
        awaitShadowVersion(0);
        assertEquals(0, series("linesight_classifier_shadow_version", ""), "REJECTED on the shadow key ended it");
    }

    private static void awaitShadowVersion(int version) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (series("linesight_classifier_shadow_version", "") != version && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(200);
        }
    }

    /**
     * {@code count} frames to each of cam-drift-a (images mirrored left-right, dimmed to 40 % when asked) and cam-drift-b
     * (mirrored top-bottom), from image {@code from} on; waits for their predictions.
     */
    private static int stream(int from, int count, boolean dimA) throws IOException {
        Set<String> sent = new HashSet<>();
        for (int i = from; i < from + count; i++) {
            BufferedImage original = ImageIO.read(new ByteArrayInputStream(ImageSamples.neuImage(CLASSES.get(i % 3), i / 3 + 1)));
            sent.add(sendFrame("cam-drift-a", ImageSamples.encode(transformed(original, true, dimA ? 0.4 : 1), "jpg")).frameId());
            sent.add(sendFrame("cam-drift-b", ImageSamples.encode(transformed(original, false, 1), "jpg")).frameId());
        }
        awaitPredictions(sent);
        return from + count;
    }

    private static BufferedImage transformed(BufferedImage image, boolean leftRight, double gain) {
        int w = image.getWidth();
        int h = image.getHeight();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = image.getRGB(leftRight ? w - 1 - x : x, leftRight ? y : h - 1 - y);
                int r = (int) (((rgb >> 16) & 0xff) * gain);
                int g = (int) (((rgb >> 8) & 0xff) * gain);
                int b = (int) ((rgb & 0xff) * gain);
                out.setRGB(x, y, r << 16 | g << 8 | b);
            }
        }
        return out;
    }

    /** linesight_drift_score of a camera, NaN when absent. */
    private static double drift(String camera) {
        return series("linesight_drift_score", "camera=\"" + camera + "\"");
    }

    private static double signal(String camera, String signal) {
        return series("linesight_drift_signal", "camera=\"" + camera + "\",signal=\"" + signal + "\"");
    }

    /** A camera's drift signals, for failure messages. */
    private static String signals(String camera) {
        return Stream.of(CameraDrift.SIGNALS).map(s -> s + "=" + signal(camera, s)).collect(Collectors.joining(", "));
    }

    /** A metric series' value by its name and full label set (empty: none), NaN when absent. */
    private static double series(String name, String labels) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name + (labels.isEmpty() ? " " : "{" + labels + "} ")) + "(\\S+)")
                .matcher(given().get("/q/metrics").then().extract().asString());
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    /** linesight_classifier_decisions_mqtt_total{outcome}. */
    private static double mqttOutcome(String outcome) {
        Matcher m = Pattern.compile("linesight_classifier_decisions_mqtt_total\\{outcome=\"" + outcome + "\"} ([0-9.E]+)")
                .matcher(given().get("/q/metrics").then().extract().asString());
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    /** A copy of version folder {@code from} at {@code to} as {@code version} listing {@code files}, signed by {@code key} (none: unsigned). */
    private static ModelManifest forge(Path from, Path to, int version, List<ModelManifest.FileEntry> files,
            SigningKeys.SigningKey key) throws IOException {
        return forge(from, to, version, files, ModelRegistry.readManifest(from).operatingPoint(), key);
    }

    private static ModelManifest forge(Path from, Path to, int version, List<ModelManifest.FileEntry> files,
            ModelManifest.OperatingPoint operatingPoint, SigningKeys.SigningKey key) throws IOException {
        ModelManifest good = ModelRegistry.readManifest(from);
        FileTrees.deleteRecursively(to);
        FileTrees.copyRecursively(from, to);
        Files.delete(to.resolve(ManifestSignature.FILE_NAME));
        ModelManifest forged = new ModelManifest(good.modelName(), version, good.parentVersion(), good.classes(), good.inputSize(),
                good.inputChannels(), good.architecture(), good.preprocessing(), good.holdoutMetrics(), good.lineage(),
                good.createdAtMs(), files == null ? good.files() : files, good.calibration(), operatingPoint);
        ModelRegistry.JSON.writeValue(to.resolve(ModelManifest.FILE_NAME).toFile(), forged);
        if (key != null) {
            ManifestSignature.sign(to, key);
        }
        return forged;
    }

    /** Version 1 forged as {@code version} in the fixture registry. */
    private static ModelManifest forge(Path registry, int version, List<ModelManifest.FileEntry> files, SigningKeys.SigningKey key)
            throws IOException {
        return forge(registry.resolve(MODEL).resolve("1"), registry.resolve(MODEL).resolve(Integer.toString(version)), version, files, key);
    }

    private static void announce(ModelManifest manifest, String base) {
        writer.send(Topic.MODEL_VERSIONS.topicName(), MODEL, ServingPointers.of(manifest,
                ServingPointers.artifactUri(base, MODEL, manifest.version()), ModelStatus.SERVING).toByteArray());
    }

    private static int servingVersion() {
        return given().get("/q/health/ready").then().extract().path("checks.find { it.name == 'model' }.data.version");
    }

    private static void awaitServing(int version) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline && servingVersion() != version) {
            TimeUnit.MILLISECONDS.sleep(200);
        }
        assertEquals(version, servingVersion());
    }

    /** linesight_classifier_swaps_refused_total by reason. */
    private static Map<String, Double> refusals() {
        Map<String, Double> byReason = new HashMap<>();
        Matcher m = Pattern.compile("linesight_classifier_swaps_refused_total\\{reason=\"(\\w+)\"} ([0-9.]+)")
                .matcher(given().get("/q/metrics").then().extract().asString());
        while (m.find()) {
            byReason.put(m.group(1), Double.parseDouble(m.group(2)));
        }
        return byReason;
    }

    private record Sent(String frameId, String camera, RecordMetadata where) {
    }

    private static Sent sendFrame(String camera, byte[] image) {
        return sendFrame(camera, image, Sha256.hex(image));
    }

    private static Sent sendFrame(String camera, byte[] image, String claimedSha256) {
        return send(camera, image, claimedSha256, false);
    }

    /** A frame ingest chose for audit. */
    private static Sent sendAuditFrame(String camera, byte[] image) {
        return send(camera, image, Sha256.hex(image), true);
    }

    private static Sent send(String camera, byte[] image, String claimedSha256, boolean audit) {
        String id = UUID.randomUUID().toString();
        long now = System.currentTimeMillis();
        Frame frame = Frame.newBuilder().setFrameId(id).setCameraId(camera).setLineId(LINE).setContentType("image/jpeg")
                .setImage(ByteString.copyFrom(image)).setSha256(claimedSha256).setCapturedAtMs(now).setReceivedAtMs(now)
                .setAudit(audit).build();
        return new Sent(id, camera, writer.send(Topic.FRAMES.topicName(), camera, frame.toByteArray()));
    }

    /** Writes and returns version's SERVING pointer. */
    private static ModelVersion promote(int version) {
        Path registry = Path.of(System.getProperty("test.fixture.registry"));
        ModelRegistry models = new ModelRegistry(registry);
        try {
            var pointer = ServingPointers.of(models.manifest(MODEL, version),
                    ServingPointers.artifactUri(registry.toUri().toString(), MODEL, version), ModelStatus.SERVING);
            writer.send(Topic.MODEL_VERSIONS.topicName(), MODEL, pointer.toByteArray());
            return pointer;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Prediction> awaitPredictions(Set<String> frameIds) {
        Map<String, Prediction> byFrame = new HashMap<>();
        TopicReader.await(Topic.PREDICTIONS.topicName(), new PredictionDeserializer(),
                r -> r.value() != null && frameIds.contains(r.value().getFrameId()), frameIds.size(), WAIT)
                .forEach(r -> byFrame.put(r.value().getFrameId(), r.value()));
        assertEquals(frameIds, byFrame.keySet(), "predictions for every frame");
        return byFrame;
    }
}
