package io.linesight.common;

/**
 * Is one version's live accuracy ahead of another's by a margin? A one-sided test: the lower confidence bound on the
 * difference must exceed the margin, with at least a minimum of labels on each side.
 * <ul>
 * <li>Two versions scored on different frames (two proportions, AUDIT labels right of those scored): the Agresti-Caffo
 * bound, one right and one wrong label added to each side, then the normal approximation.</li>
 * <li>Two versions scored on the same frames ({@link Paired}): the Agresti-Min bound on the difference of matched
 * proportions, half a frame added to each cell of the 2x2 table. Only frames where the two disagree move it, so a
 * candidate that fixes a few frames and breaks none is told apart long before two independent samples would.</li>
 * </ul>
 * The added labels keep the bounds honest at 0 % and 100 %, where the plain Wald interval has no width.
 */
public final class AccuracyComparison {
    private AccuracyComparison() {
    }

    /** Right labels of scored ones, for one version. */
    public record Tally(long right, long scored) {
        public Tally {
            if (right < 0 || scored < right) {
                throw new IllegalArgumentException("a tally needs 0 <= right <= scored, got " + right + " of " + scored);
            }
        }

        public double accuracy() {
            return scored == 0 ? Double.NaN : right / (double) scored;
        }
    }

    /** Two versions' answers on the same frames: where only {@code a} was right, where only {@code b} was, of {@code scored}. */
    public record Paired(long onlyA, long onlyB, long scored) {
        public Paired {
            if (onlyA < 0 || onlyB < 0 || onlyA + onlyB > scored) {
                throw new IllegalArgumentException("a paired tally needs 0 <= onlyA + onlyB <= scored, got " + onlyA + " + " + onlyB
                        + " of " + scored);
            }
        }

        /** The same frames seen from {@code b}'s side. */
        public Paired swapped() {
            return new Paired(onlyB, onlyA, scored);
        }
    }

    /** The test's settings: the margin a version must be ahead by, the one-sided confidence, labels needed per side. */
    public record Rule(double margin, double confidence, int minLabels) {
        public Rule {
            if (margin < 0 || margin >= 1 || confidence <= 0.5 || confidence >= 1 || minLabels < 1) {
                throw new IllegalArgumentException("a comparison needs 0 <= margin < 1, 0.5 < confidence < 1 and minLabels >= 1, got "
                        + margin + ", " + confidence + ", " + minLabels);
            }
        }

        /** True when {@code ahead} beats {@code behind} by more than the margin at the confidence, each with enough labels. */
        public boolean isAhead(Tally ahead, Tally behind) {
            return isAhead(ahead, behind, confidence);
        }

        private boolean isAhead(Tally ahead, Tally behind, double atConfidence) {
            return ahead.scored() >= minLabels && behind.scored() >= minLabels && lowerBound(ahead, behind, atConfidence) > margin;
        }

        /**
         * For a tally that keeps growing and is tested again and again: the checkpoint {@code scored} has reached, k when
         * it holds at least minLabels x 2^k labels (-1 below minLabels). Each checkpoint is tested once, at confidence
         * 1 - (1 - confidence) / 2^(k+1), so all of them together are wrong at most 1 - confidence of the time
         * (Bonferroni over a halving error budget) instead of that much at every look.
         */
        public int checkpoint(long scored) {
            int k = -1;
            for (long needed = minLabels; scored >= needed && k < 40; needed *= 2) {
                k++;
            }
            return k;
        }

        /** The confidence checkpoint {@code k} is tested at. */
        public double confidenceAt(int k) {
            return 1 - (1 - confidence) / Math.pow(2, k + 1);
        }

        /** isAhead at checkpoint {@code k}'s share of the error budget. */
        public boolean isAheadAtCheckpoint(Tally ahead, Tally behind, int k) {
            return k >= 0 && isAhead(ahead, behind, confidenceAt(k));
        }

        /** Whether {@code a} is ahead of {@code b} on the same frames at checkpoint {@code k}, with the minimum of frames. */
        public boolean isAheadAtCheckpoint(Paired frames, int k) {
            return k >= 0 && frames.scored() >= minLabels && lowerBound(frames, confidenceAt(k)) > margin;
        }
    }

    /** One-sided lower confidence bound on accuracy(a) - accuracy(b) (Agresti-Caffo). */
    public static double lowerBound(Tally a, Tally b, double confidence) {
        double pa = (a.right() + 1) / (double) (a.scored() + 2);
        double pb = (b.right() + 1) / (double) (b.scored() + 2);
        double se = Math.sqrt(pa * (1 - pa) / (a.scored() + 2) + pb * (1 - pb) / (b.scored() + 2));
        return pa - pb - normalQuantile(confidence) * se;
    }

    /**
     * One-sided lower confidence bound on accuracy(a) - accuracy(b) on the same frames (Agresti and Min 2005: half a
     * frame added to each of the four cells, then the Wald interval of matched proportions).
     */
    public static double lowerBound(Paired frames, double confidence) {
        double n = frames.scored() + 2;
        double onlyA = frames.onlyA() + 0.5;
        double onlyB = frames.onlyB() + 0.5;
        double difference = (onlyA - onlyB) / n;
        double variance = (onlyA + onlyB - (onlyA - onlyB) * (onlyA - onlyB) / n) / (n * n);
        return difference - normalQuantile(confidence) * Math.sqrt(variance);
    }

    /** The standard normal's quantile (Acklam's rational approximation, relative error below 1.2e-9). */
    static double normalQuantile(double p) {
        if (p <= 0 || p >= 1) {
            throw new IllegalArgumentException("a quantile needs 0 < p < 1, got " + p);
        }
        double[] a = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02,
            -3.066479806614716e+01, 2.506628277459239e+00};
        double[] b = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01,
            -1.328068155288572e+01};
        double[] c = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00,
            4.374664141464968e+00, 2.938163982698783e+00};
        double[] d = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
        double low = 0.02425;
        if (p < low || p > 1 - low) {
            double q = Math.sqrt(-2 * Math.log(p < low ? p : 1 - p));
            double x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
            return p < low ? x : -x;
        }
        double q = p - 0.5;
        double r = q * q;
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
}
