package io.linesight.training;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.linesight.common.OperatingPoints;
import io.linesight.common.TemperatureScaling;
import io.linesight.common.registry.ModelManifest;
import io.linesight.training.data.ImageSet;
import io.linesight.training.model.ResNetModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Accuracy, mean cross-entropy, per-class precision/recall, macro-recall and the confusion matrix of a model
 * on a set; the per-image predictions and probabilities stay in memory for reports and calibration (not in the JSON).
 */
public record Evaluation(int count, double accuracy, double macroRecall, double loss, List<ClassMetrics> perClass,
        int[][] confusion, List<String> classes, @JsonIgnore int[] predictions, @JsonIgnore float[] probabilities,
        @JsonIgnore int[] labels) {

    public record ClassMetrics(String name, int support, double precision, double recall) {
    }

    public static Evaluation of(ResNetModel model, ImageSet set, int batchSize) {
        List<String> classes = model.spec().classes();
        int n = classes.size();
        int[][] confusion = new int[n][n];
        int[] predictions = new int[set.size()];
        float[] all = new float[set.size() * n];
        int[] labels = new int[set.size()];
        double lossSum = 0;
        for (int from = 0; from < set.size(); from += batchSize) {
            int to = Math.min(set.size(), from + batchSize);
            float[] probabilities = model.predict(set.batch(from, to), to - from).probabilities();
            System.arraycopy(probabilities, 0, all, from * n, (to - from) * n);
            for (int i = from; i < to; i++) {
                labels[i] = set.label(i);
                predictions[i] = OperatingPoints.topClass(probabilities, (i - from) * n, n);
                confusion[labels[i]][predictions[i]]++;
                lossSum -= Math.log(Math.max(probabilities[(i - from) * n + labels[i]], 1e-7));
            }
        }
        return metrics(classes, confusion, set.size() == 0 ? Double.NaN : lossSum / set.size(), predictions, all, labels);
    }

    /** Metrics from a confusion matrix, rows = true class, columns = predicted class (no loss known). */
    public static Evaluation fromConfusion(List<String> classes, int[][] confusion) {
        return metrics(classes, confusion, Double.NaN, new int[0], new float[0], new int[0]);
    }

    private static Evaluation metrics(List<String> classes, int[][] confusion, double loss, int[] predictions,
            float[] probabilities, int[] labels) {
        int n = classes.size();
        int total = 0;
        int correct = 0;
        List<ClassMetrics> perClass = new ArrayList<>();
        double recallSum = 0;
        int classesPresent = 0;
        for (int c = 0; c < n; c++) {
            int support = 0;
            int predicted = 0;
            for (int k = 0; k < n; k++) {
                support += confusion[c][k];
                predicted += confusion[k][c];
            }
            total += support;
            correct += confusion[c][c];
            double recall = support == 0 ? 0 : confusion[c][c] / (double) support;
            double precision = predicted == 0 ? 0 : confusion[c][c] / (double) predicted;
            if (support > 0) {
                recallSum += recall;
                classesPresent++;
            }
            perClass.add(new ClassMetrics(classes.get(c), support, precision, recall));
        }
        return new Evaluation(total, total == 0 ? 0 : correct / (double) total,
                classesPresent == 0 ? 0 : recallSum / classesPresent, loss, perClass, confusion, classes, predictions,
                probabilities, labels);
    }

    /** The temperature that calibrates these probabilities on these labels (TemperatureScaling). */
    public TemperatureScaling.Fit calibration() {
        return TemperatureScaling.fit(probabilities, labels, classes.size());
    }

    /** The OK / NG / RECHECK thresholds of these labels, on the probabilities a classifier serves at {@code temperature}. */
    public ModelManifest.OperatingPoint operatingPoint(double temperature, OperatingPoints.Target target) {
        return OperatingPoints.fit(served(temperature), labels, classes, target);
    }

    /** What a version's operating point decides on these labels, on the probabilities a classifier serves. */
    public OperatingPoints.Observed decisions(double temperature, ModelManifest.OperatingPoint point) {
        return OperatingPoints.observe(served(temperature), labels, OperatingPoints.Rule.of(point, classes));
    }

    private float[] served(double temperature) {
        int n = classes.size();
        float[] served = probabilities.clone();
        for (int i = 0; i < labels.length; i++) {
            TemperatureScaling.apply(served, i * n, n, temperature);
        }
        return served;
    }

    /** The figures a manifest keeps as holdout metrics. */
    public Map<String, Double> summary() {
        Map<String, Double> summary = new LinkedHashMap<>();
        summary.put("accuracy", accuracy);
        summary.put("macro_recall", macroRecall);
        summary.put("count", (double) count);
        return summary;
    }
}
