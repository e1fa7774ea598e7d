package io.linesight.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * CPU time per thread of a Linux process, from /proc/PID/task/TID/schedstat (nanoseconds on a CPU), summed by
 * thread name with its numbering dropped ("preprocess", "tf_Compute", "GC Thread#"): native TensorFlow threads are
 * counted too, which ThreadMXBean cannot see.
 */
final class ThreadCpu {
    private static final Pattern NUMBERING = Pattern.compile("[-#_ ]?[0-9]+$");

    private ThreadCpu() {
    }

    /** Nanoseconds on a CPU so far, by thread group; empty when the process is gone. */
    static Map<String, Long> snapshot(long pid) {
        Map<String, Long> byGroup = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            tasks.forEach(task -> {
                try {
                    String name = NUMBERING.matcher(Files.readString(task.resolve("comm")).strip()).replaceAll("");
                    long nanos = Long.parseLong(Files.readString(task.resolve("schedstat")).split(" ")[0]);
                    byGroup.merge(name.isEmpty() ? "(unnamed)" : name, nanos, Long::sum);
                } catch (IOException | RuntimeException ended) {
                    // The thread ended between listing and reading.
                }
            });
        } catch (IOException gone) {
            return byGroup;
        }
        return byGroup;
    }

    /** after - before, per group. */
    static Map<String, Long> difference(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> spent = new TreeMap<>();
        after.forEach((group, nanos) -> spent.put(group, nanos - before.getOrDefault(group, 0L)));
        return spent;
    }

    static long total(Map<String, Long> byGroup) {
        return byGroup.values().stream().mapToLong(Long::longValue).sum();
    }
}
