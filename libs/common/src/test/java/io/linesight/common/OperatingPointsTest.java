package io.linesight.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.linesight.common.OperatingPoints.Rule;
import io.linesight.common.OperatingPoints.Target;
import io.linesight.common.registry.ModelManifest.OperatingPoint;
import io.linesight.proto.Decision;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OperatingPointsTest {
    private static final List<String> CLASSES = List.of("ok", "scratch", "dent");
    private static final boolean[] GOOD = {true, false, false};

    @Test
    void theUpperBoundIsClopperPearsons() {
        // k = 0 has a closed form: 1 - alpha^(1/n).
        assertEquals(1 - Math.pow(0.05, 1 / 600.0), OperatingPoints.upperBound(0, 600, 0.95), 1e-9);
        // Published one-sided 95 % Clopper-Pearson bounds: 1 in 100 -> 0.0466, 5 in 1000 -> 0.01048.
        assertEquals(0.0466, OperatingPoints.upperBound(1, 100, 0.95), 1e-4);
        assertEquals(0.01048, OperatingPoints.upperBound(5, 1000, 0.95), 1e-4);
        assertEquals(1, OperatingPoints.upperBound(0, 0, 0.95));
        assertEquals(598, OperatingPoints.defectsNeeded(new Target(Set.of("ok"), 0.005, 0.95)));
    }

    @Test
    void aPartIsOkNgOrRecheckByItsTopClassAndThreshold() {
        Rule rule = new Rule(GOOD, new double[] {0.9, 0, 0});
        assertEquals(Decision.OK, rule.decide(new float[] {0.95f, 0.03f, 0.02f}, 0).decision());
        assertEquals(Decision.RECHECK, rule.decide(new float[] {0.6f, 0.3f, 0.1f}, 0).decision());
        assertEquals(new OperatingPoints.Verdict(Decision.NG, 2, 0), rule.decide(new float[] {0.2f, 0.3f, 0.5f}, 0));
    }

    @Test
    void theThresholdSitsJustAboveTheHighestConfidenceThatWouldEscape() {
        // Three defects the model calls ok at 0.7, 0.8 and 0.6; 1,000 more it rejects; 500 goods at 0.99.
        int parts = 1503 + 500;
        float[] p = new float[parts * 3];
        int[] labels = new int[parts];
        float[] escaping = {0.7f, 0.8f, 0.6f};
        for (int i = 0; i < parts; i++) {
            boolean good = i >= 1503;
            float okProbability = good ? 0.99f : i < 3 ? escaping[i] : 0.05f;
            p[i * 3] = okProbability;
            p[i * 3 + 1] = 1 - okProbability;
            labels[i] = good ? 0 : 1;
        }
        // 1,503 defects: k = 0 bounds at 0.0020, k = 1 at 0.0032, k = 2 at 0.0042, k = 3 at 0.0052 > 0.005.
        OperatingPoint point = OperatingPoints.fit(p, labels, CLASSES, new Target(Set.of("ok"), 0.005, 0.95));
        assertTrue(point.boundMet());
        assertEquals(2, point.escapes());
        assertEquals(Math.nextUp(0.6f), point.thresholds().get("ok"), 0);
        assertEquals(Map.of("ok", (double) Math.nextUp(0.6f), "scratch", 0.0, "dent", 0.0), point.thresholds());
        assertEquals(3 / 1503.0, point.argmaxEscapeRate(), 1e-12);
        assertEquals(0, point.falseRejectRate());
        assertEquals(1 / (double) parts, point.recheckShare(), 1e-12);
        assertTrue(point.escapeUpperBound() <= 0.005, "bound " + point.escapeUpperBound());
    }

    @Test
    void tooFewAuditDefectsMeetThePointEstimateAndSaySo() {
        float[] p = {0.9f, 0.1f, 0, 0.4f, 0.6f, 0, 0.95f, 0.05f, 0};
        int[] labels = {1, 1, 0};
        OperatingPoint point = OperatingPoints.fit(p, labels, CLASSES, new Target(Set.of("ok"), 0.005, 0.95));
        assertFalse(point.boundMet());
        assertEquals(0, point.escapes());
        assertEquals(Math.nextUp(0.9f), point.thresholds().get("ok"), 0);
        OperatingPoint noDefects = OperatingPoints.fit(new float[] {0.9f, 0.1f, 0}, new int[] {0}, CLASSES,
                new Target(Set.of("ok"), 0.005, 0.95));
        assertEquals(OperatingPoints.NEVER, noDefects.thresholds().get("ok"));
        assertEquals(1, noDefects.recheckShare());
    }

    @Test
    void aNanProbabilityIsARecheckNeverAPass() {
        Rule rule = new Rule(GOOD, new double[] {0, 0, 0});
        assertEquals(Decision.RECHECK, rule.decide(new float[] {Float.NaN, Float.NaN, Float.NaN}, 0).decision());
        assertEquals(Decision.RECHECK, rule.decide(new float[] {0.9f, Float.NaN, 0.1f}, 0).decision());
        assertThrows(IllegalArgumentException.class, () -> OperatingPoints.fit(new float[] {Float.NaN, 0, 0}, new int[] {1}, CLASSES,
                new Target(Set.of("ok"), 0.005, 0.95)));
    }

    @Test
    void thresholdsReadFromAManifestMustFitTheModel() {
        OperatingPoint fitted = OperatingPoints.fit(new float[] {0.9f, 0.1f, 0, 0.2f, 0.8f, 0}, new int[] {0, 1}, CLASSES,
                new Target(Set.of("ok"), 0.005, 0.95));
        assertEquals(3, Rule.of(fitted, CLASSES).thresholds().length);
        Map<String, Double> missing = new HashMap<>(fitted.thresholds());
        missing.remove("ok");
        for (Map<String, Double> bad : List.of(missing, Map.of("ok", Double.NaN, "scratch", 0.0, "dent", 0.0),
                Map.of("ok", 0.5, "scratch", -1.0, "dent", 0.0))) {
            OperatingPoint forged = new OperatingPoint(fitted.goodClasses(), bad, 0.005, 0.95, 1, 1, 0, 0, 0, 0, 0, 0, true, 1);
            assertThrows(IllegalArgumentException.class, () -> Rule.of(forged, CLASSES), bad.toString());
        }
        OperatingPoint allGood = new OperatingPoint(CLASSES, fitted.thresholds(), 0.005, 0.95, 1, 1, 0, 0, 0, 0, 0, 0, true, 1);
        assertThrows(IllegalArgumentException.class, () -> Rule.of(allGood, CLASSES));
    }

    @Test
    void goodClassesTheModelDoesNotKnowAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OperatingPoints.fit(new float[3], new int[1], CLASSES, new Target(Set.of("Free"), 0.005, 0.95)));
        assertTrue(e.getMessage().contains("[Free]"), e.getMessage());
    }

    /**
     * The guarantee itself: thresholds fitted on one audit sample keep the escape rate of parts they never saw within
     * the bound they state. 200 fits on independent audits of 3,000 parts of a noisy model (about 9 % of defects
     * escape at the top class); each is judged on its own held-out audit of 20,000 and on a population of 200,000. (A
     * held-out audit as small as the fitting one adds its own sampling error: it exceeds a 95 % bound of the true rate
     * more often than 5 % of the time, about 13 % here.)
     */
    @Test
    void fittedThresholdsKeepHeldOutEscapesWithinTheStatedBound() {
        Random random = new Random(11);
        Target target = new Target(Set.of("ok"), 0.02, 0.95);
        Parts population = Parts.draw(200_000, random);
        int fits = 200;
        int populationAboveBound = 0;
        int populationAboveTarget = 0;
        int heldOutAboveBound = 0;
        for (int run = 0; run < fits; run++) {
            Parts audit = Parts.draw(3000, random);
            OperatingPoint point = OperatingPoints.fit(audit.probabilities, audit.labels, CLASSES, target);
            assertTrue(point.boundMet());
            assertTrue(point.argmaxEscapeRate() > 0.05, "the test needs a model that escapes: " + point.argmaxEscapeRate());
            Rule rule = Rule.of(point, CLASSES);
            double populationRate = population.escapeRate(rule);
            populationAboveBound += populationRate > point.escapeUpperBound() ? 1 : 0;
            populationAboveTarget += populationRate > target.escapeRate() ? 1 : 0;
            heldOutAboveBound += Parts.draw(20_000, random).escapeRate(rule) > point.escapeUpperBound() ? 1 : 0;
        }
        System.out.printf("operating points: of %d fits, %d exceed their bound on the population, %d the target, %d on a"
                + " held-out audit%n", fits, populationAboveBound, populationAboveTarget, heldOutAboveBound);
        // A 95 % bound may be exceeded in 5 % of fits (10 of 200); allow for the spread of a count of 200 trials.
        assertTrue(populationAboveBound <= 20, populationAboveBound + " of " + fits + " fits exceed their bound");
        assertTrue(populationAboveTarget <= 20, populationAboveTarget + " of " + fits + " fits exceed the target");
        assertTrue(heldOutAboveBound <= 20, heldOutAboveBound + " of " + fits + " held-out audits exceed the bound");
    }

    /** Parts of a simulated model: 30 % defective, logits of Gaussian noise plus 1.8 on the true class. */
    private record Parts(float[] probabilities, int[] labels) {
        static Parts draw(int count, Random random) {
            float[] p = new float[count * 3];
            int[] labels = new int[count];
            for (int i = 0; i < count; i++) {
                labels[i] = random.nextDouble() < 0.3 ? 1 + random.nextInt(2) : 0;
                double[] z = new double[3];
                double sum = 0;
                for (int c = 0; c < 3; c++) {
                    z[c] = Math.exp(random.nextGaussian() + (c == labels[i] ? 1.8 : 0));
                    sum += z[c];
                }
                for (int c = 0; c < 3; c++) {
                    p[i * 3 + c] = (float) (z[c] / sum);
                }
            }
            return new Parts(p, labels);
        }

        double escapeRate(Rule rule) {
            return OperatingPoints.observe(probabilities, labels, rule).escapeRate();
        }
    }
}
