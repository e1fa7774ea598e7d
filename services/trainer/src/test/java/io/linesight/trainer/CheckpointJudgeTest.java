package io.linesight.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.linesight.common.AccuracyComparison.Rule;
import io.linesight.common.AccuracyComparison.Tally;
import org.junit.jupiter.api.Test;

class CheckpointJudgeTest {
    /** Version 1, the predecessor, right 90 times in 100. */
    private static final Tally PREDECESSOR = new Tally(90, 100);

    /** Whether version 1 (the predecessor) beats {@code version} with this tally: the rollback question. */
    private static int due(CheckpointJudge judge, int version, long right, long scored, long nowNanos) {
        Tally serving = new Tally(right, scored);
        return judge.due(version, serving, PREDECESSOR, serving, nowNanos);
    }

    @Test
    void eachCheckpointIsTestedOnceAtItsShareOfTheBudget() {
        CheckpointJudge judge = new CheckpointJudge(new Rule(0.05, 0.95, 20));
        assertEquals(-1, due(judge, 2, 12, 19, 0), "below the minimum");
        // 13 of 20: ahead by more than 5 points at 95 % (bound 0.080), not at checkpoint 0's 97.5 % (0.046).
        assertEquals(-1, due(judge, 2, 13, 20, 0));
        assertEquals(-1, due(judge, 2, 13, 20, 0), "the same checkpoint is not tested again");
        assertEquals(-1, due(judge, 2, 20, 30, 0), "30 labels: no checkpoint, though 95 % alone would roll back (0.089)");
        // 26 of 40: checkpoint 1, at 98.75 %: bound 0.070.
        assertEquals(1, due(judge, 2, 26, 40, 0));
        judge.acted(1);
        assertEquals(-1, due(judge, 2, 26, 41, 0), "once");
        assertEquals(-1, due(judge, 2, 26, 80, 0), "not at the next checkpoint either: it acted");
        assertEquals(-1, due(judge, 3, 0, 19, 0), "another version starts again, from its own minimum");
        assertEquals(0, due(judge, 3, 0, 20, 0));
    }

    @Test
    void failuresWaitOrSpendTheCheckpoint() {
        CheckpointJudge judge = new CheckpointJudge(new Rule(0.05, 0.95, 20));
        assertEquals(0, due(judge, 2, 0, 20, 0));
        judge.failed(0, false, 0);
        assertEquals(-1, due(judge, 2, 0, 21, CheckpointJudge.RETRY_NANOS - 1), "a broker failure waits");
        assertEquals(0, due(judge, 2, 0, 22, CheckpointJudge.RETRY_NANOS), "then is retried");
        judge.failed(0, true, CheckpointJudge.RETRY_NANOS);
        assertEquals(-1, due(judge, 2, 0, 39, 2 * CheckpointJudge.RETRY_NANOS), "a predecessor that does not verify spends it");
        assertEquals(1, due(judge, 2, 0, 40, 2 * CheckpointJudge.RETRY_NANOS), "the next checkpoint tries again");
    }

    @Test
    void aWorseOrEqualPredecessorNeverRollsBack() {
        CheckpointJudge judge = new CheckpointJudge(new Rule(0.05, 0.95, 20));
        for (int n = 20; n <= 2000; n++) {
            assertEquals(-1, due(judge, 2, Math.round(n * 0.9), n, 0), "equal accuracy at " + n);
        }
    }
}
