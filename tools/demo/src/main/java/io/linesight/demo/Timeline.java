package io.linesight.demo;

import java.util.ArrayList;
import java.util.List;

/** Everything the demo observed, in time order: predictions (with ground truth) and version changes. */
final class Timeline {
    /** One prediction; {@code decision} is OK, NG or RECHECK (empty when the version makes none), {@code good} the truth. */
    record Observed(long atMs, int version, boolean correct, boolean audit, long latencyMs, String decision, boolean good) {
    }

    record VersionChange(long atMs, int version) {
    }

    private final long startMs = System.currentTimeMillis();
    private final List<Observed> predictions = new ArrayList<>();
    private final List<VersionChange> versions = new ArrayList<>();
    private int lastVersion;

    synchronized void add(Observed observed) {
        predictions.add(observed);
        if (observed.version() != lastVersion) {
            lastVersion = observed.version();
            versions.add(new VersionChange(observed.atMs(), observed.version()));
        }
    }

    long startMs() {
        return startMs;
    }

    synchronized List<Observed> predictions() {
        return new ArrayList<>(predictions);
    }

    synchronized List<VersionChange> versions() {
        return new ArrayList<>(versions);
    }

    synchronized int servingVersion() {
        return lastVersion;
    }

    /** Accuracy of the last {@code n} predictions of AUDIT frames (the unbiased sample), or NaN. */
    synchronized double recentAuditAccuracy(int n) {
        List<Observed> audits = predictions.stream().filter(Observed::audit).toList();
        List<Observed> recent = audits.subList(Math.max(0, audits.size() - n), audits.size());
        return recent.isEmpty() ? Double.NaN : recent.stream().filter(Observed::correct).count() / (double) recent.size();
    }

    /** Predictions per decision (OK, NG, RECHECK) so far. */
    synchronized long decisions(String decision) {
        return predictions.stream().filter(o -> o.decision().equals(decision)).count();
    }

    synchronized int count() {
        return predictions.size();
    }
}
