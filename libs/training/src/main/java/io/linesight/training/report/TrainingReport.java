package io.linesight.training.report;

import io.linesight.charts.Charts;
import io.linesight.charts.Heatmaps;
import io.linesight.charts.ImageGrid;
import io.linesight.charts.ReportFolder;
import io.linesight.common.ActivationMaps;
import io.linesight.training.Evaluation;
import io.linesight.training.TrainingLoop;
import io.linesight.training.data.ImageSet;
import io.linesight.training.model.ResNetModel;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report folder of one training run: loss, accuracy and learning-rate curves, the validation confusion
 * matrix, conv1's filters and the misclassified validation images (PNG), report.json and an index.html.
 */
public final class TrainingReport {
    private static final int MAX_MISCLASSIFIED = 48;

    private TrainingReport() {
    }

    /** What the run was and what came out of it, for report.json and the headline table. */
    public record Summary(String data, String model, Map<String, Object> settings, double wallSeconds) {
    }

    /** Writes the folder and returns its index.html. */
    public static Path write(Path dir, Summary summary, TrainingLoop.Run run, Evaluation validation, ImageSet validationSet,
            ResNetModel model) throws IOException {
        Files.createDirectories(dir);
        List<TrainingLoop.EpochResult> epochs = run.epochs();
        if (!epochs.isEmpty()) {
            Charts.savePng(curves("Loss (cross-entropy)", "loss", epochs, run.bestEpoch(),
                    Map.of("train", TrainingLoop.EpochResult::loss, "validation", TrainingLoop.EpochResult::validationLoss)), dir.resolve("loss.png"));
            Map<String, ToDoubleFunction<TrainingLoop.EpochResult>> accuracy = new LinkedHashMap<>();
            accuracy.put("train accuracy", TrainingLoop.EpochResult::trainAccuracy);
            accuracy.put("validation accuracy", TrainingLoop.EpochResult::validationAccuracy);
            accuracy.put("validation macro-recall", TrainingLoop.EpochResult::validationMacroRecall);
            Charts.savePng(curves("Accuracy", "accuracy", epochs, run.bestEpoch(), accuracy), dir.resolve("accuracy.png"));
            Charts.savePng(curves("Learning rate (end of epoch)", "learning rate", epochs, run.bestEpoch(),
                    Map.of("learning rate", TrainingLoop.EpochResult::learningRate)), dir.resolve("learning-rate.png"));
        }
        if (validation.count() > 0) {
            Charts.savePng(Charts.confusion("Validation confusion (rows: true, columns: predicted)", validation.classes(),
                    validation.confusion()), dir.resolve("confusion.png"));
        }
        ImageGrid.write(dir.resolve("conv1-filters.png"), conv1Filters(model), 48, 16);
        List<Map<String, Object>> misclassified = new ArrayList<>();
        List<ImageGrid.Tile> tiles = new ArrayList<>();
        for (int i = 0; i < validationSet.size() && i < validation.predictions().length; i++) {
            int truth = validationSet.label(i);
            int predicted = validation.predictions()[i];
            if (truth != predicted) {
                misclassified.add(Map.of("image", validationSet.name(i), "true", validation.classes().get(truth),
                        "predicted", validation.classes().get(predicted)));
                if (tiles.size() < MAX_MISCLASSIFIED) {
                    tiles.add(new ImageGrid.Tile(explained(model, validationSet.pixels(i), validationSet.imageSize()),
                            validation.classes().get(truth) + " → " + validation.classes().get(predicted)));
                }
            }
        }
        if (!tiles.isEmpty()) {
            ImageGrid.write(dir.resolve("misclassified.png"), tiles, 128, 6);
        }

        Map<String, Object> headline = new LinkedHashMap<>();
        headline.put("data", summary.data());
        headline.put("model", summary.model());
        headline.put("validation accuracy", String.format("%.4f (%d images)", validation.accuracy(), validation.count()));
        headline.put("validation macro-recall", String.format("%.4f", validation.macroRecall()));
        headline.put("epochs run", epochs.size() + (run.stoppedEarly() ? " (stopped early)" : ""));
        headline.put("kept epoch", run.bestEpoch());
        headline.put("misclassified", misclassified.size());
        headline.put("wall time", String.format("%.1f min", summary.wallSeconds() / 60));
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("data", summary.data());
        details.put("model", summary.model());
        details.put("settings", summary.settings());
        details.put("wallSeconds", summary.wallSeconds());
        details.put("bestEpoch", run.bestEpoch());
        details.put("stoppedEarly", run.stoppedEarly());
        details.put("epochs", epochs);
        details.put("validation", validation);
        details.put("misclassified", misclassified);
        return ReportFolder.write(dir, "LineSight training report", headline, details, List.of(
                new ReportFolder.Section("Loss", "loss.png"),
                new ReportFolder.Section("Accuracy (kept epoch marked)", "accuracy.png"),
                new ReportFolder.Section("Learning rate", "learning-rate.png"),
                new ReportFolder.Section("Validation confusion matrix", "confusion.png"),
                new ReportFolder.Section("conv1 filters (each scaled to its own range)", "conv1-filters.png"),
                new ReportFolder.Section("Misclassified validation images (true → predicted), with the predicted class's activation map", "misclassified.png")));
    }

    private static XYChart curves(String title, String yTitle, List<TrainingLoop.EpochResult> epochs, int bestEpoch,
            Map<String, ToDoubleFunction<TrainingLoop.EpochResult>> series) {
        XYChart chart = new XYChartBuilder().width(900).height(400).title(title).xAxisTitle("epoch").yAxisTitle(yTitle).build();
        double[] x = epochs.stream().mapToDouble(TrainingLoop.EpochResult::epoch).toArray();
        double low = Double.POSITIVE_INFINITY;
        double high = Double.NEGATIVE_INFINITY;
        for (Map.Entry<String, ToDoubleFunction<TrainingLoop.EpochResult>> entry : series.entrySet()) {
            double[] y = epochs.stream().mapToDouble(entry.getValue()).toArray();
            if (Arrays.stream(y).allMatch(Double::isNaN)) {
                continue;
            }
            chart.addSeries(entry.getKey(), x, y).setMarker(SeriesMarkers.CIRCLE);
            for (double v : y) {
                if (Double.isFinite(v)) {
                    low = Math.min(low, v);
                    high = Math.max(high, v);
                }
            }
        }
        if (bestEpoch > 0 && Double.isFinite(low)) {
            XYSeries marker = chart.addSeries("kept epoch " + bestEpoch, new double[] {bestEpoch, bestEpoch}, new double[] {low, high});
            marker.setMarker(SeriesMarkers.NONE).setLineColor(Color.GRAY);
        }
        return chart;
    }

    /** The image with the wrong answer's activation map over it (bare, for a model without maps). */
    private static BufferedImage explained(ResNetModel model, byte[] pixels, int size) {
        ResNetModel.Outputs outputs = model.predict(pixels, 1);
        int side = outputs.mapSide();
        BufferedImage image = rgb(pixels, size);
        return side == 0 ? image : Heatmaps.overlay(image, ActivationMaps.quantise(outputs.activationMaps(), 0, side * side), side, side);
    }

    /** One tile per conv1 output channel: its k x k x 3 weights, min-max scaled to 0..255. */
    private static List<ImageGrid.Tile> conv1Filters(ResNetModel model) {
        long[] shape = model.variableShape("conv1.weight");
        float[] hwio = model.variable("conv1.weight");
        int k = (int) shape[0];
        int in = (int) shape[2];
        int out = (int) shape[3];
        List<ImageGrid.Tile> tiles = new ArrayList<>();
        for (int o = 0; o < out; o++) {
            float min = Float.POSITIVE_INFINITY;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = o; i < hwio.length; i += out) {
                min = Math.min(min, hwio[i]);
                max = Math.max(max, hwio[i]);
            }
            float range = Math.max(max - min, 1e-12f);
            BufferedImage filter = new BufferedImage(k, k, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < k; y++) {
                for (int x = 0; x < k; x++) {
                    int rgb = 0;
                    for (int c = 0; c < 3; c++) {
                        float w = hwio[((y * k + x) * in + Math.min(c, in - 1)) * out + o];
                        rgb = (rgb << 8) | Math.round((w - min) / range * 255);
                    }
                    filter.setRGB(x, y, rgb);
                }
            }
            tiles.add(new ImageGrid.Tile(filter, null));
        }
        return tiles;
    }

    private static BufferedImage rgb(byte[] pixels, int size) {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int p = (y * size + x) * 3;
                image.setRGB(x, y, (pixels[p] & 0xff) << 16 | (pixels[p + 1] & 0xff) << 8 | (pixels[p + 2] & 0xff));
            }
        }
        return image;
    }
}
