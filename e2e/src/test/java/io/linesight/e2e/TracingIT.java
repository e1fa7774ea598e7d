package io.linesight.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.linesight.common.Topic;
import io.linesight.localstack.ImageSamples;
import io.linesight.localstack.LineSightSystem;
import io.linesight.proto.PredictionDeserializer;
import io.linesight.testsupport.InfraResource;
import io.linesight.testsupport.TopicReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

/**
 * One trace per frame across the Kafka hops: POST /api/v1/frames in ingest, the frame's consumption and the
 * prediction's publication in the classifier, exported by both packaged services to a real OTLP/HTTP endpoint.
 */
class TracingIT {
    @Test
    void oneTraceSpansIngestAndClassifierForEachFrame() throws Exception {
        try (OtlpReceiver collector = new OtlpReceiver();
                LineSightSystem system = LineSightSystem.start("tracing", InfraResource.addresses(), Clients.WORK, null,
                        Map.of("QUARKUS_OTEL_SDK_DISABLED", "false", "QUARKUS_OTEL_EXPORTER_OTLP_ENDPOINT", collector.endpoint(),
                                "QUARKUS_OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf", "QUARKUS_OTEL_BSP_SCHEDULE_DELAY", "100ms"))) {
            String frameId = Clients.postFrame(system.ingest, "cam-trace", ImageSamples.neuImage("inclusion", 7)).getString("frameId");

            ConsumerRecord<String, ?> prediction = TopicReader.await(Topic.PREDICTIONS.topicName(), new PredictionDeserializer(),
                    r -> r.value() != null && r.value().getFrameId().equals(frameId), 1, LineSightSystem.WAIT).get(0);
            Header traceparent = prediction.headers().lastHeader("traceparent");
            assertTrue(traceparent != null, "the prediction record carries a trace context");
            String traceId = new String(traceparent.value(), StandardCharsets.UTF_8).split("-")[1];

            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            Set<String> services = Set.of();
            while (System.nanoTime() < deadline && services.size() < 2) {
                Thread.sleep(200);
                services = spansOf(collector, traceId).stream().map(OtlpReceiver.Span::service).collect(Collectors.toSet());
            }
            List<OtlpReceiver.Span> trace = spansOf(collector, traceId);
            assertEquals(Set.of("linesight-ingest", "linesight-classifier"), services, "services in trace " + traceId + ": " + trace);
            assertTrue(trace.stream().anyMatch(s -> s.service().equals("linesight-ingest") && s.name().contains("/api/v1/frames")),
                    "ingest's HTTP span: " + trace);
            assertTrue(trace.stream().anyMatch(s -> s.service().equals("linesight-classifier") && s.name().contains(Topic.FRAMES.topicName())),
                    "the classifier's consumption of the frame: " + trace);
            assertTrue(trace.stream().anyMatch(s -> s.service().equals("linesight-classifier") && s.name().contains(Topic.PREDICTIONS.topicName())),
                    "the classifier's prediction record: " + trace);
        }
    }

    private static List<OtlpReceiver.Span> spansOf(OtlpReceiver collector, String traceId) {
        return collector.spans().stream().filter(s -> s.traceId().equals(traceId)).toList();
    }
}
