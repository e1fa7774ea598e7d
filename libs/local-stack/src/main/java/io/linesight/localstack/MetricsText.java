package io.linesight.localstack;

/** Reading a service's /q/metrics (Prometheus text exposition) in the tools: the fault suite, the bench, the demo. */
public final class MetricsText {
    private MetricsText() {
    }

    /**
     * Sum of one metric's samples whose line contains {@code labelFilter} (null or "": all), e.g.
     * ("linesight_classifier_cache_total", "result=\"bypass\""); 0 when it has none.
     */
    public static double sum(String exposition, String name, String labelFilter) {
        double sum = 0;
        for (String line : exposition.split("\n")) {
            if ((line.startsWith(name + "{") || line.startsWith(name + " ")) && (labelFilter == null || line.contains(labelFilter))) {
                sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return sum;
    }
}
