package io.linesight.classifier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/** How the classifier's meters are built, so each bean registers its own alike. */
final class ClassifierMetrics {
    private ClassifierMetrics() {
    }

    static Timer timer(MeterRegistry registry, String name, String description) {
        return Timer.builder(name).publishPercentileHistogram().description(description).register(registry);
    }

    /** linesight.classifier.frames{outcome}: frames handled, by outcome. */
    static Counter outcome(MeterRegistry registry, String outcome) {
        return Counter.builder("linesight.classifier.frames").tag("outcome", outcome)
                .description("Frames handled, by outcome").register(registry);
    }
}
