package io.linesight.classifier;

import io.linesight.proto.Decision;
import io.linesight.proto.Frame;
import io.linesight.proto.Prediction;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.quarkus.runtime.ShutdownEvent;
import io.smallrye.reactive.messaging.mqtt.SendingMqttMessageMetadata;
import io.vertx.core.json.JsonObject;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/**
 * Writes each decision to the MQTT topic linesight/&lt;line&gt;/&lt;camera&gt;/decision (QoS 1, JSON) for the line
 * controller. linesight.predictions on Kafka stays the record: a send the broker refuses (down, disconnected) is
 * retried until the decision is {@code linesight.decisions.max-age} old, then counted as dropped; classification
 * never waits for MQTT.
 */
@ApplicationScoped
public class DecisionPublisher {
    /** Decisions in flight at most; beyond it new ones are dropped (the emitter's buffer is larger, so it never overflows). */
    private static final int MAX_PENDING = 4096;
    private static final long RETRY_MS = 250;

    private final Emitter<String> decisions;
    private final Duration maxAge;
    private final AtomicInteger pending = new AtomicInteger();
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "decision-retry"));
    private final Timer captureToDecision;
    private final Counter sent;
    private final Counter retried;
    private final Counter dropped;

    DecisionPublisher(MeterRegistry registry, @ConfigProperty(name = "linesight.decisions.max-age") Duration maxAge,
            @Channel("decisions") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 2 * MAX_PENDING) Emitter<String> decisions) {
        this.decisions = decisions;
        this.maxAge = maxAge;
        this.captureToDecision = ClassifierMetrics.timer(registry, "linesight.classifier.capture.to.decision",
                "Camera capture -> decision acknowledged by the MQTT broker");
        this.sent = mqttOutcome(registry, "sent");
        this.retried = mqttOutcome(registry, "retried");
        this.dropped = mqttOutcome(registry, "dropped");
    }

    private static Counter mqttOutcome(MeterRegistry registry, String outcome) {
        return Counter.builder("linesight.classifier.decisions.mqtt").tag("outcome", outcome)
                .description("Decisions sent to the MQTT broker, retried, or dropped").register(registry);
    }

    void stop(@Observes ShutdownEvent event) {
        retries.shutdownNow();
    }

    /** Hands the prediction's decision to MQTT without waiting; a prediction without one is not sent. */
    void publish(Prediction prediction, Frame frame) {
        if (prediction.getDecision() == Decision.DECISION_UNSPECIFIED) {
            return;
        }
        if (pending.incrementAndGet() > MAX_PENDING) {
            pending.decrementAndGet();
            dropped.increment();
            return;
        }
        String topic = "linesight/" + topicLevel(frame.getLineId()) + "/" + topicLevel(frame.getCameraId()) + "/decision";
        send(topic, json(prediction, frame), frame.getCapturedAtMs());
    }

    private void send(String topic, String payload, long capturedAtMs) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            decisions.send(Message.of(payload, Metadata.of(new SendingMqttMessageMetadata(topic, MqttQoS.AT_LEAST_ONCE, false)),
                    () -> {
                        done.complete(null);
                        return CompletableFuture.completedFuture(null);
                    }, failure -> {
                        done.completeExceptionally(failure);
                        return CompletableFuture.completedFuture(null);
                    }));
        } catch (RuntimeException refused) {
            done.completeExceptionally(refused);
        }
        done.whenComplete((ok, failure) -> {
            long age = System.currentTimeMillis() - capturedAtMs;
            if (failure == null) {
                pending.decrementAndGet();
                sent.increment();
                captureToDecision.record(Math.max(0, age), TimeUnit.MILLISECONDS);
            } else if (age + RETRY_MS < maxAge.toMillis() && !retries.isShutdown()) {
                retried.increment();
                retries.schedule(() -> send(topic, payload, capturedAtMs), RETRY_MS, TimeUnit.MILLISECONDS);
            } else {
                pending.decrementAndGet();
                dropped.increment();
            }
        });
    }

    /** What the line controller reads: ids, the decision, its class and confidence, the version and the capture time. */
    static String json(Prediction prediction, Frame frame) {
        float confidence = prediction.getTopKCount() == 0 ? 0 : prediction.getTopK(0).getProbability();
        return new JsonObject().put("frame_id", prediction.getFrameId()).put("line_id", frame.getLineId())
                .put("camera_id", frame.getCameraId()).put("decision", prediction.getDecision().name())
                .put("class", prediction.getDecisionClass()).put("confidence", confidence)
                .put("threshold", prediction.getDecisionThreshold()).put("escape_target", prediction.getEscapeTarget())
                .put("model", prediction.getModelName()).put("version", prediction.getModelVersion())
                .put("captured_at_ms", frame.getCapturedAtMs()).put("predicted_at_ms", prediction.getPredictedAtMs()).encode();
    }

    /** An MQTT topic level from an id read off Kafka: wildcards and separators become '_', an empty id "unassigned". */
    static String topicLevel(String id) {
        return id == null || id.isEmpty() ? "unassigned" : id.replaceAll("[^A-Za-z0-9._:-]", "_");
    }
}
