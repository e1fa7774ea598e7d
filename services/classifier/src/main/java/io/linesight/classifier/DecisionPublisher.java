package io.linesight.classifier;

import io.linesight.common.DecisionTopics;
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
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/**
 * Writes each decision to its MQTT topic (DecisionTopics: linesight/&lt;line&gt;/&lt;camera&gt;/decision, QoS 1, JSON) for the line
 * controller. linesight.predictions on Kafka stays the record: a send the MQTT client refuses (broker down,
 * disconnected) is retried until {@code linesight.decisions.max-age} after it was decided (this host's clock), and a
 * decision not written by then is counted as dropped, exactly once; classification never waits for MQTT.
 */
@ApplicationScoped
public class DecisionPublisher {
    /** Decisions in flight at most; beyond it new ones are dropped (the emitter's buffer is larger, so it never overflows). */
    private static final int MAX_PENDING = 4096;
    private static final long RETRY_MS = 250;

    private final Emitter<String> decisions;
    private final long maxAgeNanos;
    private final AtomicInteger pending = new AtomicInteger();
    private final ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1, r -> new Thread(r, "decision-retry"));
    private final Timer captureToDecision;
    private final Counter sent;
    private final Counter retried;
    private final Counter dropped;

    DecisionPublisher(MeterRegistry registry, @ConfigProperty(name = "linesight.decisions.max-age") Duration maxAge,
            @Channel("decisions") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 2 * MAX_PENDING) Emitter<String> decisions) {
        this.decisions = decisions;
        this.maxAgeNanos = maxAge.toNanos();
        // A settled decision's deadline leaves the queue at once: at 100 frames/s, 2 s of deadlines would otherwise wait.
        timers.setRemoveOnCancelPolicy(true);
        this.captureToDecision = ClassifierMetrics.timer(registry, "linesight.classifier.capture.to.decision",
                "Camera capture -> decision written to the MQTT broker's connection");
        this.sent = mqttOutcome(registry, "sent");
        this.retried = mqttOutcome(registry, "retried");
        this.dropped = mqttOutcome(registry, "dropped");
    }

    private static Counter mqttOutcome(MeterRegistry registry, String outcome) {
        return Counter.builder("linesight.classifier.decisions.mqtt").tag("outcome", outcome)
                .description("Decisions written to the MQTT broker's connection, retried, or dropped").register(registry);
    }

    void stop(@Observes ShutdownEvent event) {
        timers.shutdownNow();
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
        Outbound decision = new Outbound(DecisionTopics.of(frame.getLineId(), frame.getCameraId()), json(prediction, frame), frame.getCapturedAtMs(), System.nanoTime() + maxAgeNanos);
        // A send the connector holds back (no connection yet) neither succeeds nor fails: the deadline settles it.
        decision.deadline = schedule(() -> decision.settle(false), maxAgeNanos);
        send(decision);
    }

    /** One decision on its way: sent or dropped once, whatever its attempts do. */
    private final class Outbound {
        final String topic;
        final String payload;
        final long capturedAtMs;
        final long deadlineNanos;
        private final AtomicBoolean settled = new AtomicBoolean();
        volatile Future<?> deadline;

        Outbound(String topic, String payload, long capturedAtMs, long deadlineNanos) {
            this.topic = topic;
            this.payload = payload;
            this.capturedAtMs = capturedAtMs;
            this.deadlineNanos = deadlineNanos;
        }

        void settle(boolean written) {
            if (settled.compareAndSet(false, true)) {
                Future<?> timer = deadline;
                if (timer != null) {
                    timer.cancel(false);
                }
                pending.decrementAndGet();
                if (written) {
                    sent.increment();
                    captureToDecision.record(Math.max(0, System.currentTimeMillis() - capturedAtMs), TimeUnit.MILLISECONDS);
                } else {
                    dropped.increment();
                }
            }
        }
    }

    private void send(Outbound decision) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            decisions.send(Message.of(decision.payload,
                    Metadata.of(new SendingMqttMessageMetadata(decision.topic, MqttQoS.AT_LEAST_ONCE, false)), () -> {
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
            if (failure == null) {
                decision.settle(true);
            } else if (!decision.settled.get() && decision.deadlineNanos - System.nanoTime() > TimeUnit.MILLISECONDS.toNanos(RETRY_MS)) {
                retried.increment();
                schedule(() -> send(decision), TimeUnit.MILLISECONDS.toNanos(RETRY_MS));
            } else {
                decision.settle(false);
            }
        });
    }

    /** Runs the task later; null at shutdown, when the decision stays as it is (the process is going). */
    private Future<?> schedule(Runnable task, long delayNanos) {
        try {
            return timers.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException shuttingDown) {
            return null;
        }
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
}
