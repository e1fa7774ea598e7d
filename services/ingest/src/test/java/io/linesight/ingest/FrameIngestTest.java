package io.linesight.ingest;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.linesight.common.Sha256;
import io.linesight.common.Topic;
import io.linesight.localstack.Credentials;
import io.linesight.localstack.ImageSamples.PngColour;
import io.linesight.localstack.ImageSamples;
import io.linesight.proto.Frame;
import io.linesight.proto.FrameDeserializer;
import io.linesight.testsupport.InfraResource;
import io.linesight.testsupport.TopicReader;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import io.restassured.specification.RequestSpecification;
import jakarta.inject.Inject;
import java.awt.image.BufferedImage;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.hamcrest.Matchers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@QuarkusTest
@QuarkusTestResource(InfraResource.class)
class FrameIngestTest {
    private static final String FRAMES = Topic.FRAMES.topicName();

    @Inject
    FrameIndex index;

    @Test
    void realJpegIsPublishedByteIdenticalWithItsMetadata() {
        byte[] jpeg = ImageSamples.neuImage("scratches", 1);

        ExtractableResponse<Response> accepted = post(jpeg, "image/jpeg", "cam-3")
                .header("X-Line-Id", "line-A").header("X-Captured-At", "2026-11-24T10:15:30Z")
                .post("/api/v1/frames").then().statusCode(202).extract();

        String frameId = accepted.path("frameId");
        Frame frame = consumeFrame(frameId);
        assertArrayEquals(jpeg, frame.getImage().toByteArray());
        assertEquals(Sha256.hex(jpeg), frame.getSha256());
        assertEquals(Sha256.hex(jpeg), accepted.path("sha256"));
        assertEquals("cam-3", frame.getCameraId());
        assertEquals("line-A", frame.getLineId());
        assertEquals(Instant.parse("2026-11-24T10:15:30Z").toEpochMilli(), frame.getCapturedAtMs());
        assertEquals("image/jpeg", frame.getContentType());
        assertEquals(200, frame.getWidth());
        assertEquals(200, frame.getHeight());

        FrameIndex.Entry entry = index.find(frameId);
        assertEquals((int) accepted.path("partition"), entry.partition());
        assertEquals(((Number) accepted.path("offset")).longValue(), entry.offset());
        assertEquals("cam-3", entry.camera());
    }

    @Test
    void fiveMebibytePngGoesThroughEndToEnd() {
        byte[] png = ImageSamples.noisePng(5 * 1024 * 1024, 42);
        assertTrue(png.length >= 5 * 1024 * 1024, "test image is " + png.length + " bytes");

        String frameId = post(png, "image/png", "cam-big").post("/api/v1/frames").then().statusCode(202).extract().path("frameId");

        assertArrayEquals(png, consumeFrame(frameId).getImage().toByteArray());
    }

    @Test
    void greyPngAndBmpAreAccepted() throws Exception {
        BufferedImage colour = ImageIO.read(ImageSamples.neuSurface().resolve("patches/patches_1.jpg").toFile());
        BufferedImage grey = new BufferedImage(colour.getWidth(), colour.getHeight(), BufferedImage.TYPE_BYTE_GRAY);
        grey.getGraphics().drawImage(colour, 0, 0, null);

        String greyId = post(ImageSamples.encode(grey, "png"), "image/png", "cam-1").post("/api/v1/frames")
                .then().statusCode(202).extract().path("frameId");
        post(ImageSamples.encode(colour, "bmp"), "image/bmp", "cam-1").post("/api/v1/frames").then().statusCode(202);

        assertEquals(200, consumeFrame(greyId).getWidth());
    }

    @Test
    void cameraIdMayComeAsQueryParameter() {
        String frameId = given().header("Authorization", Credentials.CAMERA.devAuthorization()).contentType("image/jpeg").body(ImageSamples.neuImage("crazing", 2))
                .queryParam("camera", "cam-q").queryParam("line", "line-q")
                .post("/api/v1/frames").then().statusCode(202).extract().path("frameId");

        Frame frame = consumeFrame(frameId);
        assertEquals("cam-q", frame.getCameraId());
        assertEquals("line-q", frame.getLineId());
    }

    static Stream<Arguments> badFrames() {
        byte[] jpeg = ImageSamples.neuImage("pitted_surface", 1);
        return Stream.of(
                Arguments.of("truncated JPEG", ImageSamples.truncatedJpeg(), "image/jpeg", "cam-1", 400, "undecodable_image"),
                Arguments.of("text sent as PNG", ImageSamples.text("this is not an image"), "image/png", "cam-1", 400, "undecodable_image"),
                Arguments.of("JPEG sent as PNG", jpeg, "image/png", "cam-1", 400, "undecodable_image"),
                Arguments.of("PNG declaring 30000x30000", ImageSamples.pngDeclaring(30000, 30000), "image/png", "cam-1", 413, "too_many_pixels"),
                // Inside the pixel limit, but 16-bit RGBA: ~300 KB that would decode to 432 MB.
                Arguments.of("16-bit RGBA PNG of 6000x6000", ImageSamples.uniformPng(6000, 6000, 16, PngColour.RGBA, 0), "image/png", "cam-1",
                        413, "decoded_too_large"),
                Arguments.of("empty body", new byte[0], "image/jpeg", "cam-1", 400, "empty_body"),
                Arguments.of("missing camera id", jpeg, "image/jpeg", null, 400, "missing_camera_id"),
                Arguments.of("unsupported type", jpeg, "image/gif", "cam-1", 415, "unsupported_media_type"),
                Arguments.of("text/plain", ImageSamples.text("hello"), "text/plain", "cam-1", 415, "unsupported_media_type"),
                Arguments.of("over the 8 MiB limit", new byte[8 * 1024 * 1024 + 1], "image/png", "cam-1", 413, "frame_too_large"));
    }

    @ParameterizedTest(name = "{0} -> {4} {5}")
    @MethodSource("badFrames")
    void badFrameGetsItsStatusAndPublishesNothing(String name, byte[] body, String contentType, String camera,
            int status, String error) {
        long before = TopicReader.size(FRAMES);

        post(body, contentType, camera).post("/api/v1/frames").then()
                .statusCode(status)
                .contentType(containsString("application/json"))
                .body("error", equalTo(error))
                .body("detail", Matchers.not(Matchers.emptyOrNullString()));

        assertEquals(before, TopicReader.size(FRAMES), name + " must publish nothing");
    }

    @Test
    void metricsCountAcceptedAndRejectedFrames() {
        post(ImageSamples.text("nope"), "image/png", "cam-m").post("/api/v1/frames").then().statusCode(400);
        post(ImageSamples.neuImage("rolled-in_scale", 3), "image/jpeg", "cam-m").post("/api/v1/frames").then().statusCode(202);

        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(metrics.contains("linesight_frames_accepted_total{camera=\"cam-m\"}"), metrics);
        assertTrue(metrics.contains("linesight_frames_rejected_total{reason=\"undecodable_image\"}"), metrics);
        assertTrue(metrics.contains("linesight_frames_publish_seconds_bucket"), metrics);
    }

    @Test
    void framesNeedCameraCredentials() {
        byte[] jpeg = ImageSamples.neuImage("scratches", 2);
        long before = TopicReader.size(FRAMES);

        given().contentType("image/jpeg").header("X-Camera-Id", "cam-1").body(jpeg).post("/api/v1/frames").then().statusCode(401);
        given().auth().preemptive().basic("camera", "wrong").contentType("image/jpeg").header("X-Camera-Id", "cam-1").body(jpeg)
                .post("/api/v1/frames").then().statusCode(401);
        given().header("Authorization", Credentials.OPERATOR.devAuthorization()).contentType("image/jpeg").header("X-Camera-Id", "cam-1").body(jpeg)
                .post("/api/v1/frames").then().statusCode(403);

        assertEquals(before, TopicReader.size(FRAMES));
    }

    @Test
    void readinessCoversKafkaAndRedis() {
        given().get("/q/health/ready").then().statusCode(200)
                .body("checks.name", Matchers.hasItems("Kafka connection health check", "Redis connection health check"));
    }

    private static RequestSpecification post(byte[] body, String contentType, String camera) {
        var request = given().header("Authorization", Credentials.CAMERA.devAuthorization()).contentType(contentType).body(body);
        return camera == null ? request : request.header("X-Camera-Id", camera);
    }

    private static Frame consumeFrame(String frameId) {
        List<ConsumerRecord<String, Frame>> records = TopicReader.await(FRAMES, new FrameDeserializer(),
                r -> r.value() != null && r.value().getFrameId().equals(frameId), 1, Duration.ofSeconds(30));
        assertEquals(1, records.size(), "frame " + frameId + " on " + FRAMES);
        assertEquals(records.get(0).value().getCameraId(), records.get(0).key(), "records are keyed by camera id");
        return records.get(0).value();
    }
}
