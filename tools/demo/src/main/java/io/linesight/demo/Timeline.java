package io.linesight.demo;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Everything the demo observed, in time order: predictions (with ground truth) and version changes, the shadow
 * candidate's answers and the pointers announced on linesight.model-versions.
 */
final class Timeline {
    /**
     * One prediction; {@code decision} is OK, NG or RECHECK (empty when the version makes none), {@code good} the truth,
     * {@code confidence} the calibrated probability of its top class.
     */
    record Observed(String frameId, long atMs, int version, boolean correct, boolean audit, long latencyMs, String decision, boolean good,
            double confidence) {
    }

    /**
     * One served version's accuracy three ways: estimated without labels (mean confidence of all its predictions), on
     * its AUDIT frames (what the trainer sees), and on all its frames (the demo knows every frame's truth).
     */
    record VersionAccuracy(int version, int frames, double estimated, int audited, double audit, double actual) {
    }

    record VersionChange(long atMs, int version) {
    }

    /** A camera's drift score (linesight_drift_score) as the classifier exported it at one moment; NaN while it has none. */
    record DriftSample(long atMs, String camera, double score) {
    }

    /**
     * One camera's drift scores before and after {@code dimmedAtMs} (Long.MAX_VALUE: never dimmed): the largest of each,
     * and how many seconds after it the score first reached the alert's threshold (NaN: never).
     */
    record CameraDrift(String camera, boolean dimmed, double maxBefore, double maxAfter, double flaggedAfterSeconds) {
    }

    /** A pointer announced on linesight.model-versions: SERVING, SHADOW, REJECTED or ROLLED_BACK. */
    record PointerEvent(long atMs, int version, String status) {
    }

    /**
     * A shadow candidate's answers: on how many frames, and on the AUDIT frames the serving version also answered
     * ({@code paired}), the shadow's accuracy beside the serving version's on those same frames.
     */
    record ShadowAccuracy(int version, int frames, int paired, double shadow, double serving) {
    }

    private final long startMs = System.currentTimeMillis();
    private final List<Observed> predictions = new ArrayList<>();
    private final List<VersionChange> versions = new ArrayList<>();
    private final List<Observed> shadowAnswers = new ArrayList<>();
    private final List<PointerEvent> pointers = new ArrayList<>();
    private final List<DriftSample> drift = new ArrayList<>();
    private int lastVersion;

    synchronized void add(Observed observed) {
        predictions.add(observed);
        if (observed.version() != lastVersion) {
            lastVersion = observed.version();
            versions.add(new VersionChange(observed.atMs(), observed.version()));
        }
    }

    synchronized void addShadow(Observed observed) {
        shadowAnswers.add(observed);
    }

    synchronized void addDrift(DriftSample sample) {
        drift.add(sample);
    }

    synchronized List<DriftSample> drift() {
        return new ArrayList<>(drift);
    }

    /** Each camera's drift against the alert's threshold, around the moment {@code dimmedCamera}'s lamp dimmed. */
    synchronized List<CameraDrift> driftByCamera(String dimmedCamera, long dimmedAtMs, double threshold) {
        Map<String, List<DriftSample>> byCamera = drift.stream().filter(d -> !Double.isNaN(d.score()))
                .collect(Collectors.groupingBy(DriftSample::camera, TreeMap::new, Collectors.toList()));
        List<CameraDrift> result = new ArrayList<>();
        byCamera.forEach((camera, samples) -> {
            double before = samples.stream().filter(d -> d.atMs() < dimmedAtMs).mapToDouble(DriftSample::score).max().orElse(Double.NaN);
            double after = samples.stream().filter(d -> d.atMs() >= dimmedAtMs).mapToDouble(DriftSample::score).max().orElse(Double.NaN);
            double flagged = samples.stream().filter(d -> d.atMs() >= dimmedAtMs && d.score() >= threshold).mapToDouble(d -> (d.atMs() - dimmedAtMs) / 1000.0)
                    .min().orElse(Double.NaN);
            result.add(new CameraDrift(camera, camera.equals(dimmedCamera), before, after, flagged));
        });
        return result;
    }

    synchronized void addPointer(PointerEvent event) {
        pointers.add(event);
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

    synchronized List<Observed> shadowAnswers() {
        return new ArrayList<>(shadowAnswers);
    }

    synchronized List<PointerEvent> pointers() {
        return new ArrayList<>(pointers);
    }

    /** The version the last SERVING or ROLLED_BACK pointer named, if any came. */
    synchronized Optional<Integer> lastServing() {
        for (int i = pointers.size() - 1; i >= 0; i--) {
            PointerEvent event = pointers.get(i);
            if (event.status().equals("SERVING") || event.status().equals("ROLLED_BACK")) {
                return Optional.of(event.version());
            }
        }
        return Optional.empty();
    }

    /** Versions that served after running as shadow in this run: promoted on live evidence. */
    synchronized List<Integer> promotedShadows() {
        List<Integer> promoted = new ArrayList<>();
        for (int i = 0; i < pointers.size(); i++) {
            PointerEvent event = pointers.get(i);
            if (event.status().equals("SERVING") && !promoted.contains(event.version())
                    && pointers.subList(0, i).stream().anyMatch(e -> e.status().equals("SHADOW") && e.version() == event.version())) {
                promoted.add(event.version());
            }
        }
        return promoted;
    }

    /** Each shadow version's answers beside the serving version's on the same AUDIT frames. */
    synchronized List<ShadowAccuracy> shadowByVersion() {
        Map<String, Observed> served = new HashMap<>();
        predictions.stream().filter(Observed::audit).forEach(o -> served.putIfAbsent(o.frameId(), o));
        Map<Integer, List<Observed>> byVersion = shadowAnswers.stream().collect(Collectors.groupingBy(Observed::version, TreeMap::new,
                Collectors.toList()));
        List<ShadowAccuracy> result = new ArrayList<>();
        byVersion.forEach((version, answers) -> {
            List<Observed> paired = answers.stream().filter(a -> a.audit() && served.containsKey(a.frameId())).toList();
            result.add(new ShadowAccuracy(version, answers.size(), paired.size(), share(paired),
                    share(paired.stream().map(a -> served.get(a.frameId())).toList())));
        });
        return result;
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

    synchronized List<VersionAccuracy> accuracyByVersion() {
        Map<Integer, List<Observed>> byVersion = predictions.stream().collect(Collectors.groupingBy(Observed::version, TreeMap::new,
                Collectors.toList()));
        List<VersionAccuracy> result = new ArrayList<>();
        byVersion.forEach((version, observed) -> {
            List<Observed> audits = observed.stream().filter(Observed::audit).toList();
            result.add(new VersionAccuracy(version, observed.size(), observed.stream().mapToDouble(Observed::confidence).average().orElse(Double.NaN),
                    audits.size(), share(audits), share(observed)));
        });
        return result;
    }

    private static double share(List<Observed> observed) {
        return observed.isEmpty() ? Double.NaN : observed.stream().filter(Observed::correct).count() / (double) observed.size();
    }

    /** Predictions per decision (OK, NG, RECHECK) so far. */
    synchronized long decisions(String decision) {
        return predictions.stream().filter(o -> o.decision().equals(decision)).count();
    }

    synchronized int count() {
        return predictions.size();
    }
}
