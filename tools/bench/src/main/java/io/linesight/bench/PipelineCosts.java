package io.linesight.bench;

import io.linesight.localstack.MetricsText;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a run's time went: the classifier's per-frame stage times and GC pauses (from its /q/metrics), the CPU of
 * each of its threads, of the load generator (this JVM), of Kafka and Redis, and of the whole machine (/proc/stat),
 * taken before and after the run.
 */
final class PipelineCosts {
    private static final Pattern SAMPLE = Pattern.compile("^([a-z_]+)\\{([^}]*)\\} ([0-9.eE+-]+)$");
    private static final Pattern STAGE = Pattern.compile("stage=\"([a-z_]+)\"");
    /** In the order a frame meets them. */
    static final List<String> STAGES = List.of("transit", "batching", "cache", "decode", "resize", "ready", "inference", "produce");

    private final URI metrics;
    private final long classifierPid;
    private final Map<String, Long> others;
    private final HttpClient http = HttpClient.newHttpClient();

    /** {@code others}: further processes to count (name -> pid), such as the broker and Redis. */
    PipelineCosts(int classifierHttpPort, long classifierPid, Map<String, Long> others) {
        this.metrics = URI.create("http://127.0.0.1:" + classifierHttpPort + "/q/metrics");
        this.classifierPid = classifierPid;
        this.others = others;
    }

    record Snapshot(long nanos, Map<String, double[]> stages, double gcSeconds, Map<String, Long> classifierThreads,
            Map<String, Long> processes, long machineBusyNanos) {
    }

    Snapshot take() throws IOException, InterruptedException {
        Map<String, double[]> stages = new TreeMap<>();
        double gc = 0;
        String text = http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()).body();
        for (String line : text.split("\n")) {
            Matcher sample = SAMPLE.matcher(line);
            if (!sample.matches()) {
                continue;
            }
            double value = Double.parseDouble(sample.group(3));
            Matcher stage = STAGE.matcher(sample.group(2));
            switch (sample.group(1)) {
                case "linesight_classifier_stage_seconds_sum" -> {
                    if (stage.find()) {
                        stages.computeIfAbsent(stage.group(1), s -> new double[2])[0] += value;
                    }
                }
                case "linesight_classifier_stage_seconds_count" -> {
                    if (stage.find()) {
                        stages.computeIfAbsent(stage.group(1), s -> new double[2])[1] += value;
                    }
                }
                case "jvm_gc_pause_seconds_sum" -> gc += value;
                default -> {
                }
            }
        }
        Map<String, Long> processes = new LinkedHashMap<>();
        processes.put("load generator (this JVM)", ThreadCpu.total(ThreadCpu.snapshot(ProcessHandle.current().pid())));
        others.forEach((name, pid) -> processes.put(name, ThreadCpu.total(ThreadCpu.snapshot(pid))));
        return new Snapshot(System.nanoTime(), stages, gc, ThreadCpu.snapshot(classifierPid), processes, machineBusyNanos());
    }

    /** The sum of one metric's series (0 when it has none), from the classifier's /q/metrics now. */
    double metric(String name) throws IOException, InterruptedException {
        return metric(name, "");
    }

    /** The sum of the series of one metric whose line contains {@code tags} (a label such as reason="x"). */
    double metric(String name, String tags) throws IOException, InterruptedException {
        return MetricsText.sum(http.send(HttpRequest.newBuilder(metrics).build(), HttpResponse.BodyHandlers.ofString()).body(), name, tags);
    }

    /** Prints the breakdown between two snapshots of a run that handled {@code frames}. */
    static void print(String name, int frames, Snapshot before, Snapshot after) {
        double seconds = (after.nanos() - before.nanos()) / 1e9;
        int cores = Runtime.getRuntime().availableProcessors();
        StringBuilder stages = new StringBuilder();
        for (String stage : STAGES) {
            double[] a = after.stages().getOrDefault(stage, new double[2]);
            double[] b = before.stages().getOrDefault(stage, new double[2]);
            double count = a[1] - b[1];
            stages.append(String.format(" %s %.1f", stage, count == 0 ? 0 : (a[0] - b[0]) / count * 1000));
        }
        System.out.printf("    %s, %d frames in %.1f s%n", name, frames, seconds);
        System.out.printf("      wall ms per frame by stage:%s%n", stages);
        Map<String, Long> threads = ThreadCpu.difference(before.classifierThreads(), after.classifierThreads());
        long classifier = ThreadCpu.total(threads);
        StringBuilder top = new StringBuilder();
        threads.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(8)
                .filter(e -> e.getValue() > 0)
                .forEach(e -> top.append(String.format(" %s %.2f,", e.getKey(), e.getValue() / 1e9 / seconds)));
        System.out.printf("      CPU in cores (of %d): classifier %.2f (%.1f ms per frame; GC pauses %.0f ms) =%s%n", cores,
                classifier / 1e9 / seconds, classifier / 1e6 / Math.max(1, frames), (after.gcSeconds() - before.gcSeconds()) * 1000,
                top.length() == 0 ? " -" : top.substring(0, top.length() - 1));
        StringBuilder processes = new StringBuilder();
        long counted = classifier;
        for (Map.Entry<String, Long> process : after.processes().entrySet()) {
            long spent = process.getValue() - before.processes().getOrDefault(process.getKey(), 0L);
            counted += spent;
            processes.append(String.format(" %s %.2f,", process.getKey(), spent / 1e9 / seconds));
        }
        long machine = after.machineBusyNanos() - before.machineBusyNanos();
        System.out.printf("      %s rest of the machine %.2f; machine busy %.2f%n", processes.toString().strip(),
                Math.max(0, machine - counted) / 1e9 / seconds, machine / 1e9 / seconds);
    }

    /** Busy time of all CPUs so far (user + nice + system + irq + softirq + steal), from /proc/stat's USER_HZ ticks. */
    private static long machineBusyNanos() throws IOException {
        String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long ticks = 0;
        for (int field : new int[] {1, 2, 3, 6, 7, 8}) {
            ticks += Long.parseLong(cpu[field]);
        }
        return ticks * 10_000_000L; // USER_HZ is 100 on Linux (the /proc ABI), so a tick is 10 ms.
    }
}
