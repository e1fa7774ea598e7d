package io.linesight.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.linesight.common.registry.ModelRegistry;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The demo's report: PNG charts drawn with XChart, an index.html showing them, and the figures as JSON. */
final class Report {
    private static final long WINDOW_MS = 20_000;

    private Report() {
    }

    static Path write(Path dir, Timeline timeline, Map<String, Object> figures, JsonNode finalEvaluation) throws IOException {
        Files.createDirectories(dir);
        accuracyChart(timeline).ifPresent(chart -> save(chart, dir.resolve("accuracy.png")));
        save(throughputChart(timeline), dir.resolve("throughput.png"));
        if (finalEvaluation != null) {
            save(confusionChart(finalEvaluation), dir.resolve("confusion.png"));
        }
        ModelRegistry.JSON.writeValue(dir.resolve("report.json").toFile(), figures);
        StringBuilder rows = new StringBuilder();
        figures.forEach((k, v) -> rows.append("<tr><th>").append(k).append("</th><td>").append(v).append("</td></tr>\n"));
        Files.writeString(dir.resolve("index.html"), """
                <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>LineSight demo report</title>
                <style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:70rem}th{text-align:left;padding-right:1rem}
                img{max-width:100%%;border:1px solid #ccc;margin:1rem 0}</style></head><body>
                <h1>LineSight demo report</h1><table>%s</table>
                <h2>Accuracy over time (version changes marked)</h2><img src="accuracy.png" alt="accuracy over time">
                <h2>Final version on the never-streamed slice</h2><img src="confusion.png" alt="confusion matrix">
                <h2>Throughput and latency</h2><img src="throughput.png" alt="throughput and latency over time">
                </body></html>
                """.formatted(rows));
        return dir.resolve("index.html");
    }

    private static java.util.Optional<XYChart> accuracyChart(Timeline timeline) {
        List<Timeline.Observed> all = timeline.predictions();
        if (all.isEmpty()) {
            return java.util.Optional.empty();
        }
        XYChart chart = new XYChartBuilder().width(1000).height(420).title("Accuracy of served predictions (20 s windows)")
                .xAxisTitle("seconds").yAxisTitle("accuracy").build();
        List<Double> t = new ArrayList<>();
        List<Double> all20 = new ArrayList<>();
        List<Double> audit20 = new ArrayList<>();
        long end = all.get(all.size() - 1).atMs();
        for (long from = timeline.startMs(); from < end; from += WINDOW_MS) {
            long to = from + WINDOW_MS;
            List<Timeline.Observed> window = all.stream().filter(o -> o.atMs() >= to - WINDOW_MS && o.atMs() < to).toList();
            if (window.isEmpty()) {
                continue;
            }
            t.add((to - timeline.startMs()) / 1000.0);
            all20.add(window.stream().filter(Timeline.Observed::correct).count() / (double) window.size());
            List<Timeline.Observed> audits = window.stream().filter(Timeline.Observed::audit).toList();
            audit20.add(audits.isEmpty() ? Double.NaN : audits.stream().filter(Timeline.Observed::correct).count() / (double) audits.size());
        }
        chart.addSeries("all frames", t, all20).setMarker(SeriesMarkers.NONE);
        chart.addSeries("AUDIT frames (unbiased)", t, audit20).setMarker(SeriesMarkers.CIRCLE);
        for (Timeline.VersionChange change : timeline.versions()) {
            double x = (change.atMs() - timeline.startMs()) / 1000.0;
            XYSeries marker = chart.addSeries("version " + change.version(), new double[] {x, x}, new double[] {0, 1});
            marker.setMarker(SeriesMarkers.NONE).setLineColor(Color.GRAY);
        }
        chart.getStyler().setYAxisMin(0.0).setYAxisMax(1.0);
        return java.util.Optional.of(chart);
    }

    private static XYChart throughputChart(Timeline timeline) {
        XYChart chart = new XYChartBuilder().width(1000).height(420).title("Throughput and capture-to-prediction latency")
                .xAxisTitle("seconds").yAxisTitle("frames/s · ms/100").build();
        List<Timeline.Observed> all = timeline.predictions();
        List<Double> t = new ArrayList<>();
        List<Double> fps = new ArrayList<>();
        List<Double> p50 = new ArrayList<>();
        if (!all.isEmpty()) {
            long end = all.get(all.size() - 1).atMs();
            for (long from = timeline.startMs(); from < end; from += 10_000) {
                long to = from + 10_000;
                List<Long> latencies = all.stream().filter(o -> o.atMs() >= to - 10_000 && o.atMs() < to)
                        .map(Timeline.Observed::latencyMs).sorted().toList();
                t.add((to - timeline.startMs()) / 1000.0);
                fps.add(latencies.size() / 10.0);
                p50.add(latencies.isEmpty() ? Double.NaN : latencies.get(latencies.size() / 2) / 100.0);
            }
        }
        if (t.isEmpty()) {
            t.add(0.0);
            fps.add(0.0);
            p50.add(0.0);
        }
        chart.addSeries("predictions/s", t, fps).setMarker(SeriesMarkers.NONE);
        chart.addSeries("p50 latency (ms / 100)", t, p50).setMarker(SeriesMarkers.NONE);
        return chart;
    }

    private static HeatMapChart confusionChart(JsonNode evaluation) {
        List<String> classes = new ArrayList<>();
        evaluation.get("classes").forEach(c -> classes.add(c.asText()));
        HeatMapChart chart = new HeatMapChartBuilder().width(700).height(600).title("Confusion (rows: true, columns: predicted)").build();
        List<Number[]> cells = new ArrayList<>();
        JsonNode confusion = evaluation.get("confusion");
        for (int row = 0; row < classes.size(); row++) {
            for (int col = 0; col < classes.size(); col++) {
                cells.add(new Number[] {col, classes.size() - 1 - row, confusion.get(row).get(col).asInt()});
            }
        }
        List<String> reversed = new ArrayList<>(classes);
        java.util.Collections.reverse(reversed);
        chart.addSeries("count", classes, reversed, cells);
        chart.getStyler().setShowValue(true);
        return chart;
    }

    private static void save(org.knowm.xchart.internal.chartpart.Chart<?, ?> chart, Path file) {
        try {
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
