package io.linesight.common;

import io.linesight.common.registry.ModelManifest.OperatingPoint;
import io.linesight.proto.Decision;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * OK / NG / RECHECK at a chosen escape rate. A part is OK when its top class is a good class whose calibrated
 * probability reaches that class's threshold, NG when its top class is a defect class reaching its threshold, and
 * RECHECK otherwise. Defect classes keep threshold 0 (a rejected part never escapes); the good classes' threshold is
 * fitted on audit labels: the lowest one whose one-sided Clopper-Pearson upper bound of the escape rate (defective
 * parts called OK, over all defective parts) stays at or below the target. When the audit holds too few defects for
 * any threshold to show that bound, the threshold meets the point estimate instead and {@code boundMet} says so.
 */
public final class OperatingPoints {
    /** A threshold above every probability: the class never decides (no audit defect to fit on). */
    public static final double NEVER = 2.0;

    private OperatingPoints() {
    }

    /** What the plant chose: its good classes, the escape rate it accepts, and the confidence of the bound. */
    public record Target(Set<String> goodClasses, double escapeRate, double confidence) {
        public Target {
            if (goodClasses.isEmpty() || !(escapeRate > 0 && escapeRate < 1) || !(confidence >= 0.5 && confidence < 1)) {
                throw new IllegalArgumentException("an operating point needs good classes, an escape rate in (0, 1) and a"
                        + " confidence in [0.5, 1); got " + goodClasses + ", " + escapeRate + ", " + confidence);
            }
        }

        /** A target for the named good classes (trimmed, blanks dropped); null when none is named: no decisions. */
        public static Target named(Collection<String> goodClasses, double escapeRate, double confidence) {
            Set<String> named = goodClasses.stream().map(String::trim).filter(c -> !c.isEmpty()).collect(Collectors.toSet());
            return named.isEmpty() ? null : new Target(named, escapeRate, confidence);
        }

        /** The good classes of this target that the model outputs, or an error naming the ones it does not. */
        public boolean[] goodMask(List<String> classes) {
            List<String> unknown = goodClasses.stream().filter(g -> !classes.contains(g)).sorted().toList();
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("good classes " + unknown + " are not classes of the model " + classes);
            }
            if (goodClasses.containsAll(classes)) {
                throw new IllegalArgumentException("every class of the model " + classes + " is a good class: nothing could be rejected");
            }
            boolean[] good = new boolean[classes.size()];
            for (int c = 0; c < good.length; c++) {
                good[c] = goodClasses.contains(classes.get(c));
            }
            return good;
        }
    }

    /** One part's decision, the class that made it (the top class for RECHECK) and that class's threshold. */
    public record Verdict(Decision decision, int classIndex, double threshold) {
    }

    /** Which classes are good and each class's threshold, in the model's class order: what decides a part. */
    public record Rule(boolean[] good, double[] thresholds) {
        /**
         * The rule of an operating point, checked as one read from a manifest must be: good classes that are classes of
         * the model (not all of them), and a threshold in [0, NEVER] for every class.
         */
        public static Rule of(OperatingPoint point, List<String> classes) {
            if (point.goodClasses() == null || point.thresholds() == null) {
                throw new IllegalArgumentException("an operating point needs good classes and thresholds");
            }
            boolean[] good = new Target(Set.copyOf(point.goodClasses()), point.escapeTarget(), point.confidence()).goodMask(classes);
            double[] thresholds = new double[classes.size()];
            for (int c = 0; c < thresholds.length; c++) {
                Double t = point.thresholds().get(classes.get(c));
                if (t == null || !(t >= 0 && t <= NEVER)) {
                    throw new IllegalArgumentException("class " + classes.get(c) + " has threshold " + t + ", not one in [0, " + NEVER + "]");
                }
                thresholds[c] = t;
            }
            return new Rule(good, thresholds);
        }

        /** The decision for the row of calibrated probabilities at {@code offset}; a NaN anywhere in it is a RECHECK. */
        public Verdict decide(float[] probabilities, int offset) {
            int classes = thresholds.length;
            int top = topClass(probabilities, offset, classes);
            boolean finite = true;
            for (int c = 0; c < classes; c++) {
                finite &= Float.isFinite(probabilities[offset + c]);
            }
            Decision decision = !finite || !(probabilities[offset + top] >= thresholds[top]) ? Decision.RECHECK
                    : good[top] ? Decision.OK : Decision.NG;
            return new Verdict(decision, top, thresholds[top]);
        }
    }

    /**
     * Fits the operating point on calibrated {@code probabilities} (rows of {@code classes.size()}) and their true
     * {@code labels}, and reports what it costs on that same set.
     */
    public static OperatingPoint fit(float[] probabilities, int[] labels, List<String> classes, Target target) {
        int n = classes.size();
        boolean[] good = target.goodMask(classes);
        for (float p : probabilities) {
            if (!Float.isFinite(p)) {
                throw new IllegalArgumentException("probabilities must be finite to fit an operating point; found " + p);
            }
        }
        int defects = 0;
        // Defective parts whose top class is good: the confidence each would pass at.
        float[] escaping = new float[labels.length];
        int escapingCount = 0;
        for (int i = 0; i < labels.length; i++) {
            if (!good[labels[i]]) {
                defects++;
                int top = topClass(probabilities, i * n, n);
                if (good[top]) {
                    escaping[escapingCount++] = probabilities[i * n + top];
                }
            }
        }
        float[] passing = Arrays.copyOf(escaping, escapingCount);
        Arrays.sort(passing);
        int allowed = -1;
        while (allowed + 1 <= escapingCount && upperBound(allowed + 1, defects, target.confidence()) <= target.escapeRate()) {
            allowed++;
        }
        boolean boundMet = defects > 0 && allowed >= 0;
        if (!boundMet) {
            allowed = defects == 0 ? -1 : (int) Math.floor(target.escapeRate() * defects);
        }
        // With k escapes allowed the threshold sits just above the (k+1)-th highest escaping confidence.
        double goodThreshold = allowed < 0 ? NEVER
                : allowed >= escapingCount ? 0 : Math.nextUp(passing[escapingCount - 1 - allowed]);
        Map<String, Double> thresholds = new LinkedHashMap<>();
        double[] byClass = new double[n];
        for (int c = 0; c < n; c++) {
            byClass[c] = good[c] ? goodThreshold : 0;
            thresholds.put(classes.get(c), byClass[c]);
        }
        Observed cost = observe(probabilities, labels, new Rule(good, byClass));
        return new OperatingPoint(classes.stream().filter(target.goodClasses()::contains).toList(), thresholds,
                target.escapeRate(), target.confidence(), defects, cost.goods(), cost.escapes(), cost.escapeRate(),
                upperBound(cost.escapes(), defects, target.confidence()), cost.falseRejectRate(), cost.recheckShare(),
                rate(escapingCount, defects), boundMet, defectsNeeded(target));
    }

    /** What thresholds do on labelled parts: escapes of the defects, false rejects of the goods, RECHECKs of all. */
    public record Observed(int parts, int defects, int escapes, int goods, int falseRejects, int rechecks) {
        public double escapeRate() {
            return rate(escapes, defects);
        }

        public double falseRejectRate() {
            return rate(falseRejects, goods);
        }

        public double recheckShare() {
            return rate(rechecks, parts);
        }
    }

    /** What a rule decides on calibrated {@code probabilities} with their true {@code labels}. */
    public static Observed observe(float[] probabilities, int[] labels, Rule rule) {
        int n = rule.thresholds().length;
        int defects = 0;
        int escapes = 0;
        int goods = 0;
        int falseRejects = 0;
        int rechecks = 0;
        for (int i = 0; i < labels.length; i++) {
            Decision decision = rule.decide(probabilities, i * n).decision();
            rechecks += decision == Decision.RECHECK ? 1 : 0;
            if (rule.good()[labels[i]]) {
                goods++;
                falseRejects += decision == Decision.NG ? 1 : 0;
            } else {
                defects++;
                escapes += decision == Decision.OK ? 1 : 0;
            }
        }
        return new Observed(labels.length, defects, escapes, goods, falseRejects, rechecks);
    }

    /** One line for logs and reports: the thresholds, what they cost and whether the bound was shown. */
    public static String describe(OperatingPoint point) {
        String thresholds = point.goodClasses().stream()
                .map(c -> String.format("%s >= %s", c, point.thresholds().get(c) > 1 ? "never" : String.format("%.4f", point.thresholds().get(c))))
                .collect(Collectors.joining(", "));
        String bound = point.boundMet()
                ? String.format("%.0f %% upper bound %.4f <= target %.4f", point.confidence() * 100, point.escapeUpperBound(), point.escapeTarget())
                : String.format("target %.4f NOT shown at %.0f %% (upper bound %.4f): %d audit defects, a holdout without escapes needs %d",
                        point.escapeTarget(), point.confidence() * 100, point.escapeUpperBound(), point.auditDefects(), point.defectsNeeded());
        return String.format("OK at %s; escape rate %.4f (%d of %d audit defects), %s; false rejects %.4f of %d goods,"
                + " RECHECK %.4f of parts; the top class alone lets %.4f escape", thresholds, point.escapeRate(), point.escapes(),
                point.auditDefects(), bound, point.falseRejectRate(), point.auditGoods(), point.recheckShare(), point.argmaxEscapeRate());
    }

    /** Audit defects a holdout with no escape needs before its upper bound reaches the target. */
    static int defectsNeeded(Target target) {
        return (int) Math.ceil(Math.log(1 - target.confidence()) / Math.log(1 - target.escapeRate()));
    }

    /**
     * One-sided Clopper-Pearson upper bound of a rate seen {@code k} times in {@code n}: the p at which seeing k or
     * fewer has probability 1 - confidence. 1 when n is 0.
     */
    public static double upperBound(int k, int n, double confidence) {
        if (k >= n) {
            return 1;
        }
        double alpha = 1 - confidence;
        double low = k / (double) n;
        double high = 1;
        for (int i = 0; i < 60; i++) {
            double mid = (low + high) / 2;
            if (binomialCdf(k, n, mid) > alpha) {
                low = mid;
            } else {
                high = mid;
            }
        }
        return high;
    }

    /** P(X <= k) for X ~ Binomial(n, p), summed in log space so large n neither underflows nor overflows. */
    static double binomialCdf(int k, int n, double p) {
        double logRatio = Math.log(p) - Math.log1p(-p);
        double logTerm = n * Math.log1p(-p);
        double sum = 0;
        for (int i = 0; i <= k; i++) {
            if (i > 0) {
                logTerm += Math.log((n - i + 1) / (double) i) + logRatio;
            }
            sum += Math.exp(logTerm);
        }
        return Math.min(1, sum);
    }

    private static double rate(int count, int of) {
        return of == 0 ? 0 : count / (double) of;
    }

    /** The index of the highest of {@code length} values from {@code offset} (the first of equal ones). */
    public static int topClass(float[] values, int offset, int length) {
        int best = 0;
        for (int i = 1; i < length; i++) {
            if (values[offset + i] > values[offset + best]) {
                best = i;
            }
        }
        return best;
    }
}
