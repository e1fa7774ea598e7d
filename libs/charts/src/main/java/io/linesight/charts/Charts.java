package io.linesight.charts;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.HeatMapChart;
import org.knowm.xchart.HeatMapChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;

/** Charts both reports draw, and saving any XChart chart as PNG. */
public final class Charts {
    private Charts() {
    }

    /** Confusion-matrix heatmap: rows true class (first class on top), columns predicted class, counts shown. */
    public static HeatMapChart confusion(String title, List<String> classes, int[][] confusion) {
        HeatMapChart chart = new HeatMapChartBuilder().width(760).height(640).title(title)
                .xAxisTitle("predicted").yAxisTitle("true").build();
        List<Number[]> cells = new ArrayList<>();
        int n = classes.size();
        for (int row = 0; row < n; row++) {
            for (int col = 0; col < n; col++) {
                cells.add(new Number[] {col, n - 1 - row, confusion[row][col]});
            }
        }
        List<String> reversed = new ArrayList<>(classes);
        Collections.reverse(reversed);
        chart.addSeries("count", classes, reversed, cells);
        chart.getStyler().setShowValue(true);
        chart.getStyler().setXAxisLabelRotation(30); // class names side by side overlap
        return chart;
    }

    public static void savePng(Chart<?, ?> chart, Path file) {
        try {
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write chart " + file, e);
        }
    }
}
