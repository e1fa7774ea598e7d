package io.linesight.common.registry;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;
import java.util.Map;

/**
 * manifest.json of one registry version: what the model is, how its input must be prepared, how it
 * scored, where its training data came from, and the SHA-256 of every file beside it.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelManifest(
        String modelName,
        int version,
        int parentVersion,
        List<String> classes,
        int inputSize,
        int inputChannels,
        Architecture architecture,
        Preprocessing preprocessing,
        Map<String, Double> holdoutMetrics,
        Lineage lineage,
        long createdAtMs,
        List<FileEntry> files,
        Calibration calibration,
        OperatingPoint operatingPoint) {

    public static final String FILE_NAME = "manifest.json";
    /** Inference-only SavedModel the classifier loads. */
    public static final String SERVING_DIR = "serving";
    /** SavedModel with training signatures and optimizer state the trainer resumes from. */
    public static final String TRAINING_DIR = "training";

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Architecture(String name, int width, boolean cifarStem) {
    }

    /**
     * How pixels reach the graph: decoded, grey to RGB, bilinear resize to inputSize (Images.toRgb), fed
     * as uint8 NHWC; scaling to [0,1] and mean/std normalisation happen inside the graph.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Preprocessing(String input, String resize, List<Double> mean, List<Double> std) {
    }

    /** Where the training data came from; {@code holdout} is the set the version was judged on, null when none. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Lineage(long sampleCount, List<OffsetRange> labelOffsets, String dataset, Holdout holdout) {
    }

    /** A judging set: how many image contents, and the SHA-256 of its sorted "content label" lines. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Holdout(int size, String digest) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record OffsetRange(int partition, long fromOffset, long toOffset) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record FileEntry(String path, String sha256, long size) {
    }

    /**
     * Temperature scaling fitted on the holdout (TemperatureScaling): classifiers divide the logits by
     * {@code temperature} so confidences match accuracy. Null on versions from before it: temperature 1.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Calibration(double temperature, double eceBefore, double eceAfter, int fittedOn) {
        public static double temperatureOf(ModelManifest manifest) {
            Calibration c = manifest.calibration();
            return c == null || !(c.temperature() > 0) || Double.isInfinite(c.temperature()) ? 1 : c.temperature();
        }
    }

    /**
     * OK / NG / RECHECK thresholds fitted on the holdout (io.linesight.common.OperatingPoints), on calibrated
     * probabilities. Null when the version names no good class: its predictions carry no decision.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record OperatingPoint(List<String> goodClasses, Map<String, Double> thresholds, double escapeTarget,
            double confidence, int auditDefects, int auditGoods, int escapes, double escapeRate, double escapeUpperBound,
            double falseRejectRate, double recheckShare, double argmaxEscapeRate, boolean boundMet, int defectsNeeded) {
    }
}
