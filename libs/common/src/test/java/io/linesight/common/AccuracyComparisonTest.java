package io.linesight.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.linesight.common.AccuracyComparison.Paired;
import io.linesight.common.AccuracyComparison.Rule;
import io.linesight.common.AccuracyComparison.Tally;
import org.junit.jupiter.api.Test;

class AccuracyComparisonTest {
    private static final Rule RULE = new Rule(0.05, 0.95, 20);

    @Test
    void normalQuantilesMatchTheTables() {
        assertEquals(1.644854, AccuracyComparison.normalQuantile(0.95), 1e-6);
        assertEquals(1.959964, AccuracyComparison.normalQuantile(0.975), 1e-6);
        assertEquals(2.326348, AccuracyComparison.normalQuantile(0.99), 1e-6);
        assertEquals(-3.090232, AccuracyComparison.normalQuantile(0.001), 1e-6);
        assertEquals(0, AccuracyComparison.normalQuantile(0.5), 1e-12);
    }

    @Test
    void lowerBoundIsAgrestiCaffos() {
        // 90/100 vs 70/100: (91/102 - 71/102) - 1.645 * sqrt(.8922 * .1078 / 102 + .6961 * .3039 / 102) = 0.1058.
        assertEquals(0.1058, AccuracyComparison.lowerBound(new Tally(90, 100), new Tally(70, 100), 0.95), 5e-4);
    }

    @Test
    void pairedLowerBoundIsAgrestiMins() {
        // 8 frames only a got right, none only b, of 100: 8/102 - 1.645 * sqrt((9 - 64/102) / 102^2) = 0.0317.
        assertEquals(0.0317, AccuracyComparison.lowerBound(new Paired(8, 0, 100), 0.95), 5e-4);
        assertEquals(AccuracyComparison.lowerBound(new Paired(9, 3, 100), 0.9) - 2 * 6 / 102.0,
                AccuracyComparison.lowerBound(new Paired(3, 9, 100), 0.9), 1e-12, "swapped: the same width below the opposite difference");
    }

    @Test
    void onTheSameFramesOnlyDisagreementsCount() {
        // 88 % vs 80 % on the same 100 frames, a fixing 8 frames and breaking none: surely more than 2 points ahead.
        assertTrue(new Rule(0.02, 0.95, 20).isAheadAtCheckpoint(new Paired(8, 0, 100), 0));
        // The same accuracies from independent samples are not: the lower bound is below 0.
        assertFalse(new Rule(0.02, 0.95, 20).isAheadAtCheckpoint(new Tally(88, 100), new Tally(80, 100), 0));
        // Nor when a fixes 28 and breaks 20: the same 8 points, but the two disagree on half the frames.
        assertFalse(new Rule(0.02, 0.95, 20).isAheadAtCheckpoint(new Paired(28, 20, 100), 0));
        assertFalse(new Rule(0.02, 0.95, 20).isAheadAtCheckpoint(new Paired(19, 0, 19), 0), "below the minimum");
        assertFalse(new Rule(0.02, 0.95, 20).isAheadAtCheckpoint(new Paired(0, 8, 100), 0), "one-sided");
    }

    @Test
    void aheadNeedsTheMarginTheConfidenceAndTheLabels() {
        assertTrue(RULE.isAhead(new Tally(90, 100), new Tally(70, 100)));
        assertFalse(RULE.isAhead(new Tally(70, 100), new Tally(90, 100)), "one-sided");
        assertFalse(RULE.isAhead(new Tally(19, 19), new Tally(0, 19)), "19 labels are below the minimum, however clear");
        assertTrue(RULE.isAhead(new Tally(20, 20), new Tally(0, 20)), "0 % against 100 % still has a width");
        assertFalse(RULE.isAhead(new Tally(86, 100), new Tally(80, 100)), "6 points ahead, but not surely more than 5");
        assertFalse(new Rule(0.3, 0.95, 20).isAhead(new Tally(90, 100), new Tally(70, 100)), "20 points ahead, not 30");
    }

    @Test
    void checkpointsDoubleAndSpendAHalvingShareOfTheErrorBudget() {
        assertEquals(-1, RULE.checkpoint(19));
        assertEquals(0, RULE.checkpoint(20));
        assertEquals(0, RULE.checkpoint(39));
        assertEquals(1, RULE.checkpoint(40));
        assertEquals(3, RULE.checkpoint(160));
        // 0.1058 at 95 %; at checkpoint 0 (97.5 %) the bound is 0.0884, at checkpoint 3 (99.69 %) 0.0459: below the margin.
        assertTrue(RULE.isAheadAtCheckpoint(new Tally(90, 100), new Tally(70, 100), 0));
        assertFalse(RULE.isAheadAtCheckpoint(new Tally(90, 100), new Tally(70, 100), 3));
        assertFalse(RULE.isAheadAtCheckpoint(new Tally(20, 20), new Tally(0, 20), -1), "no checkpoint below the minimum");
        assertEquals(0.0459, AccuracyComparison.lowerBound(new Tally(90, 100), new Tally(70, 100), 1 - 0.05 / 16), 5e-4);
    }

    @Test
    void badSettingsAndTalliesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Tally(3, 2));
        assertThrows(IllegalArgumentException.class, () -> new Paired(2, 2, 3));
        assertThrows(IllegalArgumentException.class, () -> new Rule(0.05, 0.4, 20));
        assertThrows(IllegalArgumentException.class, () -> new Rule(0.05, 0.95, 0));
    }
}
