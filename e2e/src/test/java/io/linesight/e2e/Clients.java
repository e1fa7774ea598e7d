package io.linesight.e2e;

import static io.restassured.RestAssured.given;

import io.linesight.common.Topic;
import io.linesight.localstack.Credentials;
import io.linesight.localstack.LineSightSystem;
import io.linesight.localstack.ServiceProcess;
import io.linesight.proto.Prediction;
import io.linesight.proto.PredictionDeserializer;
import io.linesight.testsupport.InfraResource;
import io.linesight.testsupport.TopicReader;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** What the e2e tests do as a camera and as an operator, and what they read back from Kafka. */
final class Clients {
    /** Where each test class's system works: target/e2e/MODEL. */
    static final Path WORK = Path.of("target/e2e");

    private Clients() {
    }

    /** The packaged system on the test resource's Kafka and Redis; no trainer when its settings are null. */
    static LineSightSystem system(String model, Map<String, String> trainerSettings) throws Exception {
        return LineSightSystem.start(model, InfraResource.addresses(), WORK, trainerSettings, Map.of());
    }

    static RequestSpecification camera() {
        return as(Credentials.CAMERA);
    }

    static RequestSpecification operator() {
        return as(Credentials.OPERATOR);
    }

    static RequestSpecification admin() {
        return as(Credentials.ADMIN);
    }

    private static RequestSpecification as(Credentials role) {
        return given().auth().preemptive().basic(role.user(), role.devPassword());
    }

    /** Posts a JPEG through ingest as camera {@code camera}; the JSON answer (frameId, audit, ...). */
    static JsonPath postFrame(ServiceProcess ingest, String camera, byte[] jpeg) {
        return camera().contentType("image/jpeg").header("X-Camera-Id", camera).body(jpeg)
                .post(ingest.url("/api/v1/frames")).then().statusCode(202).extract().jsonPath();
    }

    /** The predictions of the frames, waiting for all of them. */
    static Map<String, Prediction> predictions(Set<String> frameIds) {
        return TopicReader.await(Topic.PREDICTIONS.topicName(), new PredictionDeserializer(),
                r -> r.value() != null && frameIds.contains(r.value().getFrameId()), frameIds.size(), LineSightSystem.WAIT).stream()
                .collect(Collectors.toMap(r -> r.value().getFrameId(), ConsumerRecord::value, (a, b) -> a));
    }
}
