package io.linesight.classifier;

import io.linesight.common.Topic;
import io.linesight.proto.Decision;
import io.linesight.proto.Frame;
import io.linesight.proto.Prediction;
import io.linesight.proto.PredictionTimings;
import io.linesight.service.DeadLetters;
import io.linesight.service.Relay;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;

/**
 * Writes linesight.predictions (keyed by camera) and linesight.frames.dlq; each record acknowledges the frame it
 * answers once the broker has it, so the frame's offset commits only then. Decisions also go to MQTT (DecisionPublisher).
 */
@Startup
@ApplicationScoped
public class PredictionPublisher {
    private final Emitter<Prediction> predictions;
    private final Emitter<Frame> frameDeadLetters;
    private final DeadLetters deadLetters;
    private final Timer captureToPrediction;
    private final Counter predicted;
    private final Counter cachedHits;
    private final Timer produce;
    private final DecisionPublisher decisionPublisher;
    private final Counter.MeterProvider<Counter> decisions;
    private final DistributionSummary.MeterProvider<DistributionSummary> confidences;

    PredictionPublisher(DeadLetters deadLetters, DecisionPublisher decisionPublisher, MeterRegistry registry,
            @Channel("predictions") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096) Emitter<Prediction> predictions,
            @Channel("frames-dlq") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 1024) Emitter<Frame> frameDeadLetters) {
        this.deadLetters = deadLetters;
        this.decisionPublisher = decisionPublisher;
        this.decisions = Counter.builder("linesight.classifier.decisions").description("Decisions, by camera, model version and decision")
                .withRegistry(registry);
        // The calibrated top probability's mean over a camera's frames is its expected accuracy: an estimate needing no
        // labels (confidence-based performance estimation), shown beside the AUDIT accuracy.
        this.confidences = DistributionSummary.builder("linesight.classifier.confidence")
                .description("Calibrated probability of the top class, per published prediction; its mean estimates accuracy without labels")
                .withRegistry(registry);
        this.predictions = predictions;
        this.frameDeadLetters = frameDeadLetters;
        this.captureToPrediction = ClassifierMetrics.timer(registry, "linesight.classifier.capture.to.prediction",
                "Camera capture -> prediction published");
        this.predicted = ClassifierMetrics.outcome(registry, "predicted");
        this.cachedHits = ClassifierMetrics.outcome(registry, "cached");
        this.produce = ClassifierMetrics.stage(registry, "produce");
    }

    /**
     * Completes the answer with the frame's identity and timings, publishes it and returns it; the produce stage runs
     * until the broker acknowledged it.
     */
    Prediction publish(Prediction.Builder answer, PendingFrame pending, long preprocessMicros, long inferenceMicros, boolean cached) {
        Frame frame = pending.frame();
        long sent = System.nanoTime();
        long now = System.currentTimeMillis();
        captureToPrediction.record(Math.max(0, now - frame.getCapturedAtMs()), TimeUnit.MILLISECONDS);
        (cached ? cachedHits : predicted).increment();
        Prediction prediction = answer.setFrameId(frame.getFrameId()).setCameraId(frame.getCameraId()).setFrameRef(pending.ref())
                .setTimings(PredictionTimings.newBuilder().setQueueWaitUs(pending.queueWaitMs() * 1000)
                        .setPreprocessUs(preprocessMicros).setInferenceUs(inferenceMicros))
                .setCached(cached).setPredictedAtMs(now).build();
        Relay.send(predictions, prediction, prediction.getCameraId(), null, pending.message())
                .whenComplete((acked, failure) -> produce.record(System.nanoTime() - sent, TimeUnit.NANOSECONDS));
        countDecision(prediction);
        if (prediction.getTopKCount() > 0) {
            confidences.withTags("camera", prediction.getCameraId(), "version", Integer.toString(prediction.getModelVersion()))
                    .record(prediction.getTopK(0).getProbability());
        }
        decisionPublisher.publish(prediction, frame);
        return prediction;
    }

    /** linesight.classifier.decisions{camera, version, decision}: what the line was told, per camera and version. */
    private void countDecision(Prediction prediction) {
        if (prediction.getDecision() != Decision.DECISION_UNSPECIFIED) {
            decisions.withTags("camera", prediction.getCameraId(), "version", Integer.toString(prediction.getModelVersion()),
                    "decision", prediction.getDecision().name()).increment();
        }
    }

    /** The frame, unchanged, to linesight.frames.dlq with the reason it could not be classified. */
    void deadLetter(PreparedFrame item) {
        Frame frame = item.pending().frame();
        deadLetters.send(frameDeadLetters, frame, frame.getCameraId(), item.failure(), Topic.FRAMES_DLQ, item.pending().message());
    }
}
