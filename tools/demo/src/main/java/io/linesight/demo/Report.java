package io.linesight.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.linesight.charts.Charts;
import io.linesight.charts.ReportFolder;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The demo's report: PNG charts drawn with XChart, an index.html showing them, and the figures as JSON. */
final class Report {
    private static final long WINDOW_MS = 20_000;

    private Report() {
    }

    /** {@code dimmedAtMs}: when a camera's lamp dimmed (Long.MAX_VALUE: none did). */
    static Path write(Path dir, Timeline timeline, Map<String, Object> figures, JsonNode finalEvaluation, double escapeTarget,
            long dimmedAtMs) throws IOException {
        Files.createDirectories(dir);
        accuracyChart(timeline).ifPresent(chart -> Charts.savePng(chart, dir.resolve("accuracy.png")));
        Optional<XYChart> decisions = decisionChart(timeline, escapeTarget);
        decisions.ifPresent(chart -> Charts.savePng(chart, dir.resolve("decisions.png")));
        Optional<XYChart> drift = driftChart(timeline, dimmedAtMs);
        drift.ifPresent(chart -> Charts.savePng(chart, dir.resolve("drift.png")));
        List<XYChart> throughputAndLatency = throughputAndLatencyCharts(timeline);
        Charts.savePng(throughputAndLatency.get(0), dir.resolve("throughput.png"));
        Charts.savePng(throughputAndLatency.get(1), dir.resolve("latency.png"));
        if (finalEvaluation != null) {
            Charts.savePng(confusionChart(finalEvaluation), dir.resolve("confusion.png"));
        }
        List<ReportFolder.Section> sections = new ArrayList<>();
        sections.add(new ReportFolder.Section("Accuracy over time (version changes marked; a shadow candidate beside the serving version)", "accuracy.png"));
        if (decisions.isPresent()) {
            sections.add(new ReportFolder.Section("Decisions: escape and false-reject rates over time, with the target", "decisions.png"));
        }
        if (drift.isPresent()) {
            sections.add(new ReportFolder.Section("Drift per camera (linesight_drift_score, as the dashboard's panel), with the alert's threshold",
                    "drift.png"));
        }
        sections.addAll(List.of(new ReportFolder.Section("Final version on the never-streamed slice", "confusion.png"),
                new ReportFolder.Section("Throughput", "throughput.png"), new ReportFolder.Section("Latency", "latency.png")));
        return ReportFolder.write(dir, "LineSight demo report", figures, figures, sections);
    }

    private static Optional<XYChart> accuracyChart(Timeline timeline) {
        List<Timeline.Observed> all = timeline.predictions();
        if (all.isEmpty()) {
            return Optional.empty();
        }
        XYChart chart = new XYChartBuilder().width(1000).height(420).title("Accuracy of served predictions (20 s windows)")
                .xAxisTitle("seconds").yAxisTitle("accuracy").build();
        List<Double> t = new ArrayList<>();
        List<Double> all20 = new ArrayList<>();
        List<Double> audit20 = new ArrayList<>();
        List<Double> shadow20 = new ArrayList<>();
        List<Timeline.Observed> audits = all.stream().filter(Timeline.Observed::audit).toList();
        List<Timeline.Observed> shadowAudits = timeline.shadowAnswers().stream().filter(Timeline.Observed::audit).toList();
        long end = all.get(all.size() - 1).atMs();
        for (long from = timeline.startMs(); from < end; from += WINDOW_MS) {
            long to = from + WINDOW_MS;
            double allFrames = windowAccuracy(all, to);
            if (Double.isNaN(allFrames)) {
                continue;
            }
            t.add((to - timeline.startMs()) / 1000.0);
            all20.add(allFrames);
            audit20.add(windowAccuracy(audits, to));
            shadow20.add(windowAccuracy(shadowAudits, to));
        }
        chart.addSeries("all frames", t, all20).setMarker(SeriesMarkers.NONE);
        chart.addSeries("AUDIT frames (unbiased)", t, audit20).setMarker(SeriesMarkers.CIRCLE);
        if (!shadowAudits.isEmpty()) {
            chart.addSeries("shadow candidate on AUDIT frames", t, shadow20).setMarker(SeriesMarkers.DIAMOND);
        }
        for (Timeline.VersionChange change : timeline.versions()) {
            double x = (change.atMs() - timeline.startMs()) / 1000.0;
            XYSeries marker = chart.addSeries("version " + change.version(), new double[] {x, x}, new double[] {0, 1});
            marker.setMarker(SeriesMarkers.NONE).setLineColor(Color.GRAY);
        }
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
        return Optional.of(chart);
    }

    /** Share correct of the observations in the window ending at {@code toMs}; NaN when it holds none. */
    private static double windowAccuracy(List<Timeline.Observed> observed, long toMs) {
        List<Timeline.Observed> window = observed.stream().filter(o -> o.atMs() >= toMs - WINDOW_MS && o.atMs() < toMs).toList();
        return window.isEmpty() ? Double.NaN : window.stream().filter(Timeline.Observed::correct).count() / (double) window.size();
    }

    /** Each camera's drift score over time, the alert's threshold, and when a lamp dimmed; none before any score. */
    private static Optional<XYChart> driftChart(Timeline timeline, long dimmedAtMs) {
        List<Timeline.DriftSample> samples = timeline.drift().stream().filter(d -> !Double.isNaN(d.score())).toList();
        if (samples.isEmpty()) {
            return Optional.empty();
        }
        XYChart chart = new XYChartBuilder().width(1000).height(360).title("Drift score per camera (against its own first frames: the"
                + " image's since it started, the model's since the version serves)").xAxisTitle("seconds").yAxisTitle("score").build();
        samples.stream().map(Timeline.DriftSample::camera).distinct().sorted().forEach(camera -> {
            List<Timeline.DriftSample> of = samples.stream().filter(d -> d.camera().equals(camera)).toList();
            chart.addSeries(camera, of.stream().map(d -> (d.atMs() - timeline.startMs()) / 1000.0).toList(),
                    of.stream().map(Timeline.DriftSample::score).toList()).setMarker(SeriesMarkers.NONE);
        });
        double first = (samples.get(0).atMs() - timeline.startMs()) / 1000.0;
        double last = (samples.get(samples.size() - 1).atMs() - timeline.startMs()) / 1000.0;
        chart.addSeries("alert threshold", new double[] {first, last}, new double[] {Demo.DRIFT_ALERT_THRESHOLD, Demo.DRIFT_ALERT_THRESHOLD})
                .setMarker(SeriesMarkers.NONE).setLineColor(Color.RED);
        if (dimmedAtMs != Long.MAX_VALUE) {
            double x = (dimmedAtMs - timeline.startMs()) / 1000.0;
            double top = Math.max(2, samples.stream().mapToDouble(Timeline.DriftSample::score).max().orElse(2));
            chart.addSeries("lamp dims", new double[] {x, x}, new double[] {0, top}).setMarker(SeriesMarkers.NONE).setLineColor(Color.GRAY);
        }
        for (Timeline.VersionChange change : timeline.versions()) {
            double x = (change.atMs() - timeline.startMs()) / 1000.0;
            chart.addSeries("version " + change.version() + " serves", new double[] {x, x}, new double[] {0, 0.5}).setMarker(SeriesMarkers.NONE)
                    .setLineColor(Color.LIGHT_GRAY);
        }
        chart.getStyler().setYAxisMin(0.0);
        return Optional.of(chart);
    }

    /**
     * Escape rate (defective parts decided OK, of the defective parts) and false-reject rate (good parts decided NG, of
     * the good ones) in 60 s windows, from the demo's ground truth of every frame, beside the escape target; none when
     * no version made decisions.
     */
    private static Optional<XYChart> decisionChart(Timeline timeline, double escapeTarget) {
        List<Timeline.Observed> decided = timeline.predictions().stream().filter(o -> !o.decision().isEmpty()).toList();
        if (decided.isEmpty()) {
            return Optional.empty();
        }
        List<Double> t = new ArrayList<>();
        List<Double> escapes = new ArrayList<>();
        List<Double> falseRejects = new ArrayList<>();
        List<Double> rechecks = new ArrayList<>();
        long window = 60_000;
        long end = decided.get(decided.size() - 1).atMs();
        for (long to = timeline.startMs() + window; to < end + window; to += window / 3) {
            long last = to;
            List<Timeline.Observed> in = decided.stream().filter(o -> o.atMs() >= last - window && o.atMs() < last).toList();
            t.add((to - timeline.startMs()) / 1000.0);
            escapes.add(share(in.stream().filter(o -> !o.good()).toList(), "OK"));
            falseRejects.add(share(in.stream().filter(Timeline.Observed::good).toList(), "NG"));
            rechecks.add(share(in, "RECHECK"));
        }
        XYChart chart = new XYChartBuilder().width(1000).height(380).title("Decisions (60 s windows, every frame's true class)")
                .xAxisTitle("seconds").yAxisTitle("rate").build();
        chart.addSeries("escape rate (defect called OK)", t, escapes).setMarker(SeriesMarkers.CIRCLE);
        chart.addSeries("false-reject rate (good called NG)", t, falseRejects).setMarker(SeriesMarkers.DIAMOND);
        chart.addSeries("RECHECK share", t, rechecks).setMarker(SeriesMarkers.NONE);
        chart.addSeries("escape target", List.of(t.get(0), t.get(t.size() - 1)), List.of(escapeTarget, escapeTarget))
                .setMarker(SeriesMarkers.NONE).setLineColor(Color.RED);
        chart.getStyler().setYAxisMin(0.0);
        return Optional.of(chart);
    }

    private static double share(List<Timeline.Observed> of, String decision) {
        return of.isEmpty() ? Double.NaN : of.stream().filter(o -> o.decision().equals(decision)).count() / (double) of.size();
    }

    /** Predictions per second and capture-to-prediction latency (p50, p99) in 10 s windows, each on its own chart. */
    private static List<XYChart> throughputAndLatencyCharts(Timeline timeline) {
        List<Timeline.Observed> all = timeline.predictions();
        List<Double> t = new ArrayList<>();
        List<Double> fps = new ArrayList<>();
        List<Double> p50 = new ArrayList<>();
        List<Double> p99 = new ArrayList<>();
        if (!all.isEmpty()) {
            long end = all.get(all.size() - 1).atMs();
            for (long from = timeline.startMs(); from < end; from += 10_000) {
                long to = from + 10_000;
                List<Long> latencies = all.stream().filter(o -> o.atMs() >= to - 10_000 && o.atMs() < to)
                        .map(Timeline.Observed::latencyMs).sorted().toList();
                t.add((to - timeline.startMs()) / 1000.0);
                fps.add(latencies.size() / 10.0);
                p50.add(latencies.isEmpty() ? Double.NaN : (double) latencies.get(latencies.size() / 2));
                p99.add(latencies.isEmpty() ? Double.NaN : (double) latencies.get(Math.min(latencies.size() - 1, latencies.size() * 99 / 100)));
            }
        }
        if (t.isEmpty()) {
            t.add(0.0);
            fps.add(0.0);
            p50.add(0.0);
            p99.add(0.0);
        }
        XYChart throughput = new XYChartBuilder().width(1000).height(320).title("Throughput (10 s windows)")
                .xAxisTitle("seconds").yAxisTitle("predictions/s").build();
        throughput.addSeries("predictions/s", t, fps).setMarker(SeriesMarkers.NONE);
        XYChart latency = new XYChartBuilder().width(1000).height(320).title("Camera send -> prediction latency (10 s windows)")
                .xAxisTitle("seconds").yAxisTitle("ms").build();
        latency.addSeries("p50", t, p50).setMarker(SeriesMarkers.NONE);
        latency.addSeries("p99", t, p99).setMarker(SeriesMarkers.NONE);
        return List.of(throughput, latency);
    }

    private static HeatMapChart confusionChart(JsonNode evaluation) {
        List<String> classes = new ArrayList<>();
        evaluation.get("classes").forEach(c -> classes.add(c.asText()));
        int[][] confusion = new int[classes.size()][classes.size()];
        for (int row = 0; row < classes.size(); row++) {
            for (int col = 0; col < classes.size(); col++) {
                confusion[row][col] = evaluation.get("confusion").get(row).get(col).asInt();
            }
        }
        return Charts.confusion("Confusion (rows: true, columns: predicted)", classes, confusion);
    }
}
