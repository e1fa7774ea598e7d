package io.linesight.trainer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jboss.logging.Logger;

/** How fine-tuning runs end: linesight.trainer.runs by result, and the last run's holdout figures as gauges. */
@ApplicationScoped
public class RunMetrics {
    private static final Logger LOG = Logger.getLogger(RunMetrics.class);

    private final MeterRegistry registry;
    private final AtomicReference<FineTuner.Outcome> last = new AtomicReference<>();
    private final Map<String, AtomicReference<Double>> holdoutGauges = new ConcurrentHashMap<>();

    private final AtomicInteger holdoutImages = new AtomicInteger();
    private final AtomicInteger labelConflicts = new AtomicInteger();

    RunMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("linesight.trainer.holdout.images", holdoutImages, AtomicInteger::get)
                .description("Image contents in the last run's AUDIT holdout").register(registry);
        Gauge.builder("linesight.trainer.label.conflicts", labelConflicts, AtomicInteger::get)
                .description("Image contents whose labels disagreed in the last run (the winner: TrainingData)").register(registry);
    }

    void record(FineTuner.Outcome outcome) {
        last.set(outcome);
        Counter.builder("linesight.trainer.runs").tag("result", outcome.result()).description("Fine-tuning runs by result")
                .register(registry).increment();
        outcome.candidate().forEach((metric, value) -> holdoutGauge(metric, "candidate").set(value));
        outcome.serving().forEach((metric, value) -> holdoutGauge(metric, "serving").set(value));
        if (outcome.holdoutDigest() != null) {
            holdoutImages.set(outcome.holdoutSamples());
            labelConflicts.set(outcome.labelConflicts());
        }
        LOG.infof("Fine-tuning %s: %s", outcome.result(), outcome.detail());
    }

    FineTuner.Outcome last() {
        return last.get();
    }

    /** Holdout figures of the last run, candidate and serving version side by side. */
    private AtomicReference<Double> holdoutGauge(String metric, String model) {
        return holdoutGauges.computeIfAbsent(metric + "|" + model, key -> {
            AtomicReference<Double> value = new AtomicReference<>(Double.NaN);
            Gauge.builder("linesight.trainer.holdout", value, AtomicReference::get).tags("metric", metric, "model", model)
                    .description("Holdout figures of the last fine-tuning run").register(registry);
            return value;
        });
    }
}
