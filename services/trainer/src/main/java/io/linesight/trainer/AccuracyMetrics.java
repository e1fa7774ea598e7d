package io.linesight.trainer;

import io.linesight.proto.Label;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Online accuracy from each Label's own fields: the version that served the frame, its predicted class, the
 * operator's class, the source and the camera. The first label per (frame, source) counts; a later one that
 * disagrees is a conflict. AUDIT labels give the unbiased accuracy per version.
 */
@ApplicationScoped
public class AccuracyMetrics {
    static final String LABELS = "linesight.accuracy.labels";
    static final String CORRECT = "linesight.accuracy.correct";
    static final String CONFUSION = "linesight.accuracy.confusion";
    /** Versions kept: the serving one and the 3 before it. */
    private static final int VERSIONS_KEPT = 4;
    private static final int FIRST_LABELS_REMEMBERED = 200_000;

    private final MeterRegistry registry;
    private final Map<String, String> firstLabels = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > FIRST_LABELS_REMEMBERED;
        }
    };

    AccuracyMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public synchronized void record(Label label) {
        if (label.getServedModelVersion() == 0 || label.getPredictedClass().isEmpty()) {
            return; // no prediction was stored for the frame: nothing to score
        }
        String first = firstLabels.putIfAbsent(label.getFrameId() + "|" + label.getSource(), label.getLabel());
        if (first != null) {
            if (!first.equals(label.getLabel())) {
                Counter.builder("linesight.label.conflicts").tag("source", label.getSource().name())
                        .description("Later labels that disagree with the first for a frame and source").register(registry).increment();
            }
            return;
        }
        String version = Integer.toString(label.getServedModelVersion());
        String source = label.getSource().name();
        Counter.builder(LABELS).tags("version", version, "source", source, "camera", label.getCameraId())
                .description("Scored labels by served version").register(registry).increment();
        Counter correct = Counter.builder(CORRECT).tags("version", version, "source", source, "camera", label.getCameraId())
                .description("Labels agreeing with the served prediction").register(registry);
        if (label.getPredictedClass().equals(label.getLabel())) {
            correct.increment();
        }
        Counter.builder(CONFUSION).tags("version", version, "source", source, "true_class", label.getLabel(),
                "predicted_class", label.getPredictedClass()).description("Confusion counts by served version")
                .register(registry).increment();
    }

    /** Drops the series of versions older than the serving one and the 3 before it. */
    public void retain(int servingVersion) {
        for (Meter meter : registry.getMeters()) {
            String name = meter.getId().getName();
            String version = meter.getId().getTag("version");
            if ((name.equals(LABELS) || name.equals(CORRECT) || name.equals(CONFUSION)) && version != null
                    && Integer.parseInt(version) <= servingVersion - VERSIONS_KEPT) {
                registry.remove(meter);
            }
        }
    }
}
