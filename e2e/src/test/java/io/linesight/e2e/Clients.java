package io.linesight.e2e;

import io.linesight.testsupport.LineSightSystem;
import io.linesight.testsupport.ServiceProcess;

import static io.restassured.RestAssured.given;

import io.linesight.common.Topic;
import io.linesight.proto.Prediction;
import io.linesight.proto.PredictionDeserializer;
import io.linesight.testsupport.TopicReader;
import io.restassured.path.json.JsonPath;
import io.restassured.specification.RequestSpecification;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** What the e2e tests do as a camera and as an operator, and what they read back from Kafka. */
final class Clients {
    private Clients() {
    }

    static RequestSpecification camera() {
        return given().auth().preemptive().basic("camera", "camera-dev-password");
    }

    static RequestSpecification operator() {
        return given().auth().preemptive().basic("operator", "operator-dev-password");
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
