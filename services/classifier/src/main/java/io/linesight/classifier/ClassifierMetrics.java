package io.linesight.classifier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/** How the classifier's meters are built, so each bean registers its own alike. */
final class ClassifierMetrics {
    private ClassifierMetrics() {
    }

    static Timer timer(MeterRegistry registry, String name, String description) {
        return Timer.builder(name).publishPercentileHistogram().description(description).register(registry);
    }

    /**
     * linesight.classifier.stage{stage}: wall time one frame spends in a stage (for a stage done per batch, the
     * batch's time divided among its frames). Stages overlap across frames, so they show where a frame waits, and
     * the bench sets them beside each thread's CPU time.
     */
    static Timer stage(MeterRegistry registry, String stage) {
        return Timer.builder("linesight.classifier.stage").tag("stage", stage)
                .description("Wall time per frame in one pipeline stage").register(registry);
    }

    /** Records {@code nanos} once per frame of a batch, so a stage's mean stays per frame. */
    static void recordFrames(Timer stage, long nanos, int frames) {
        for (int i = 0; i < frames; i++) {
            stage.record(nanos, TimeUnit.NANOSECONDS);
        }
    }

    /** linesight.classifier.frames{outcome}: frames handled, by outcome. */
    static Counter outcome(MeterRegistry registry, String outcome) {
        return Counter.builder("linesight.classifier.frames").tag("outcome", outcome)
                .description("Frames handled, by outcome").register(registry);
    }
}
