package io.linesight.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        assertThrows(IllegalArgumentException.class, () -> new Rule(0.05, 0.4, 20));
        assertThrows(IllegalArgumentException.class, () -> new Rule(0.05, 0.95, 0));
    }
}
