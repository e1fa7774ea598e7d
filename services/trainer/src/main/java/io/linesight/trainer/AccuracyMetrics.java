package io.linesight.trainer;

import io.linesight.common.AccuracyComparison.Tally;
import io.linesight.common.OperatingPoints;
import io.linesight.proto.Decision;
import io.linesight.proto.Label;
import io.linesight.proto.LabelSource;
import io.linesight.proto.OperatingPoint;
import io.linesight.service.ServingPointerChanged;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * Online accuracy from each Label's own fields: the version that served the frame, its predicted class, the
 * operator's class, the source and the camera. The first label per (frame, source) counts; a later one that
 * disagrees is a conflict. AUDIT labels give the unbiased accuracy per version; the accuracy of the serving
 * version and of the one it replaced are also gauges (role serving/previous), what alerts compare. With good classes
 * configured, AUDIT labels also count the served decisions by the part's true kind (good or defect): the observed
 * escape and false-reject rates, beside the serving operating point's estimates (linesight.decisions.estimated).
 */
@ApplicationScoped
public class AccuracyMetrics {
    static final String LABELS = "linesight.accuracy.labels";
    static final String CORRECT = "linesight.accuracy.correct";
    static final String CONFUSION = "linesight.accuracy.confusion";
    static final String DECISIONS = "linesight.accuracy.decisions";
    /** Versions whose series are kept: the serving and previous ones and the newest scored ones, this many in all. */
    private static final int VERSIONS_KEPT = 4;
    private static final int FIRST_LABELS_REMEMBERED = 200_000;
    /** AUDIT labels a version needs before its accuracy gauge reports a figure (NaN until then). */
    static final int MIN_AUDIT_LABELS = 20;

    private final MeterRegistry registry;
    private final Map<String, String> firstLabels = new LinkedHashMap<>(1024, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > FIRST_LABELS_REMEMBERED;
        }
    };

    /** AUDIT labels and correct ones per served version. */
    private final Map<Integer, long[]> auditTotals = new ConcurrentHashMap<>();
    /** Versions in the order they were announced as serving, newest last ({@value #VERSIONS_KEPT} at most). */
    private final Deque<Integer> servingHistory = new ArrayDeque<>();

    private final Set<String> goodClasses;
    /** The serving pointer's operating point, null while it has none. */
    private volatile OperatingPoint servingPoint;

    @Inject
    AccuracyMetrics(MeterRegistry registry, TrainerConfig config) {
        this(registry, Optional.ofNullable(OperatingPoints.Target.named(config.goodClasses().orElse(Set.of()), config.escapeTarget(),
                config.escapeConfidence())).map(OperatingPoints.Target::goodClasses).orElse(Set.of()));
    }

    AccuracyMetrics(MeterRegistry registry, Set<String> goodClasses) {
        this.registry = registry;
        this.goodClasses = goodClasses;
        Map<String, ToDoubleFunction<OperatingPoint>> estimates = Map.of("escape_rate", OperatingPoint::getEscapeRate,
                "escape_upper_bound", OperatingPoint::getEscapeUpperBound, "escape_target", OperatingPoint::getEscapeTarget,
                "false_reject_rate", OperatingPoint::getFalseRejectRate, "recheck_share", OperatingPoint::getRecheckShare);
        estimates.forEach((figure, read) -> Gauge.builder("linesight.decisions.estimated", this,
                        m -> m.servingPoint == null ? Double.NaN : read.applyAsDouble(m.servingPoint))
                .tag("figure", figure).description("The serving version's operating point, as fitted on its AUDIT holdout")
                .register(registry));
        for (String role : new String[] {"serving", "previous"}) {
            Gauge.builder("linesight.accuracy.audit.ratio", this, m -> m.auditAccuracy(role.equals("serving") ? m.servingVersion() : m.previousVersion()))
                    .tag("role", role).description("AUDIT accuracy of the serving version and of the one before it (NaN below "
                            + MIN_AUDIT_LABELS + " labels)").register(registry);
            Gauge.builder("linesight.accuracy.audit.labels", this, m -> m.auditLabels(role.equals("serving") ? m.servingVersion() : m.previousVersion()))
                    .tag("role", role).description("AUDIT labels scored for the serving version and the one before it").register(registry);
        }
    }

    /** Scores a label; whether it was the first for its frame and source (the one that counts). */
    public synchronized boolean record(Label label) {
        if (label.getServedModelVersion() == 0 || label.getPredictedClass().isEmpty()) {
            return false; // no prediction was stored for the frame: nothing to score
        }
        String first = firstLabels.putIfAbsent(label.getFrameId() + "|" + label.getSource(), label.getLabel());
        if (first != null) {
            if (!first.equals(label.getLabel())) {
                Counter.builder("linesight.label.conflicts").tag("source", label.getSource().name())
                        .description("Later labels that disagree with the first for a frame and source").register(registry).increment();
            }
            return false;
        }
        String version = Integer.toString(label.getServedModelVersion());
        String source = label.getSource().name();
        Counter.builder(LABELS).tags("version", version, "source", source, "camera", label.getCameraId())
                .description("Scored labels by served version").register(registry).increment();
        Counter correct = Counter.builder(CORRECT).tags("version", version, "source", source, "camera", label.getCameraId())
                .description("Labels agreeing with the served prediction").register(registry);
        boolean right = label.getPredictedClass().equals(label.getLabel());
        if (right) {
            correct.increment();
        }
        if (label.getSource() == LabelSource.AUDIT) {
            long[] totals = auditTotals.computeIfAbsent(label.getServedModelVersion(), v -> new long[2]);
            totals[0]++;
            totals[1] += right ? 1 : 0;
        }
        if (label.getSource() == LabelSource.AUDIT && label.getServedDecision() != Decision.DECISION_UNSPECIFIED
                && !goodClasses.isEmpty()) {
            Counter.builder(DECISIONS).tags("version", version, "camera", label.getCameraId(), "truth",
                    goodClasses.contains(label.getLabel()) ? "good" : "defect", "decision", label.getServedDecision().name())
                    .description("AUDIT labels by the served decision and the part's true kind").register(registry).increment();
        }
        Counter.builder(CONFUSION).tags("version", version, "source", source, "true_class", label.getLabel(),
                "predicted_class", label.getPredictedClass()).description("Confusion counts by served version")
                .register(registry).increment();
        return true;
    }

    /** A new serving version (from linesight.model-versions): the one before it becomes "previous"; old versions' series go. */
    void onPointer(@Observes ServingPointerChanged changed) {
        servingPoint = changed.pointer().hasOperatingPoint() ? changed.pointer().getOperatingPoint() : null;
        servingChanged(changed.pointer().getVersion());
    }

    synchronized void servingChanged(int version) {
        if (servingHistory.isEmpty() || servingHistory.peekLast() != version) {
            servingHistory.remove(version);
            servingHistory.addLast(version);
            if (servingHistory.size() > VERSIONS_KEPT) {
                servingHistory.removeFirst();
            }
        }
        retain();
    }

    private synchronized int servingVersion() {
        return servingHistory.isEmpty() ? 0 : servingHistory.peekLast();
    }

    /**
     * The newest version served before the current one that has scored labels. Decided when read, not at the swap:
     * labels and version announcements travel on different topics, so the old version's labels may still be arriving,
     * and a version that never served a scored frame (refused, or replaced at once) is no comparison.
     */
    private synchronized int previousVersion() {
        var older = servingHistory.descendingIterator();
        if (older.hasNext()) {
            older.next();
        }
        while (older.hasNext()) {
            int version = older.next();
            if (auditTotals.containsKey(version)) {
                return version;
            }
        }
        return 0;
    }

    /** The serving version and its predecessor with their AUDIT tallies; empty until both exist. */
    synchronized Optional<Standing> standing() {
        int serving = servingVersion();
        int previous = previousVersion();
        if (serving == 0 || previous == 0) {
            return Optional.empty();
        }
        return Optional.of(new Standing(serving, tally(serving), previous, tally(previous)));
    }

    record Standing(int serving, Tally servingTally, int previous, Tally previousTally) {
    }

    private Tally tally(int version) {
        long[] totals = auditTotals.get(version);
        return totals == null ? new Tally(0, 0) : new Tally(totals[1], totals[0]);
    }

    private double auditAccuracy(int version) {
        long[] totals = auditTotals.get(version);
        return totals == null || totals[0] < MIN_AUDIT_LABELS ? Double.NaN : totals[1] / (double) totals[0];
    }

    private double auditLabels(int version) {
        long[] totals = auditTotals.get(version);
        return totals == null ? 0 : totals[0];
    }

    /**
     * Keeps the series of the recently served versions and of the newest ones with scored labels
     * ({@value #VERSIONS_KEPT} in all); by rank, not by number, so an announced version far ahead (a refused one)
     * cannot wipe the figures of those that really served.
     */
    private void retain() {
        Set<Integer> scored = new TreeSet<>(Comparator.reverseOrder());
        for (Meter meter : registry.getMeters()) {
            if (isPerVersion(meter)) {
                scored.add(Integer.parseInt(meter.getId().getTag("version")));
            }
        }
        Set<Integer> kept = new HashSet<>(servingHistory);
        scored.stream().limit(VERSIONS_KEPT).forEach(kept::add);
        auditTotals.keySet().removeIf(v -> !kept.contains(v));
        for (Meter meter : registry.getMeters()) {
            if (isPerVersion(meter) && !kept.contains(Integer.parseInt(meter.getId().getTag("version")))) {
                registry.remove(meter);
            }
        }
    }

    private static boolean isPerVersion(Meter meter) {
        String name = meter.getId().getName();
        return (name.equals(LABELS) || name.equals(CORRECT) || name.equals(CONFUSION) || name.equals(DECISIONS)) && meter.getId().getTag("version") != null;
    }
}
