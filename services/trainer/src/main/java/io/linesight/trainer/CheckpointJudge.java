package io.linesight.trainer;

import io.linesight.common.AccuracyComparison;
import java.util.function.IntPredicate;

/**
 * The bookkeeping of a live comparison that is tested as labels arrive (AutoRollback: is the predecessor ahead of the
 * serving version; ShadowEvaluation: is the shadow ahead of the serving version, or behind it), without Kafka or CDI:
 * which checkpoint of the judged version's tally is due, whether the one ahead wins it, and what acting or failing
 * spends. Each checkpoint is tested once; judging another version starts again, judging the same one does not.
 */
final class CheckpointJudge {
    /** A failed action (broker, lease) is tried again after this, not at every label. */
    static final long RETRY_NANOS = 30_000_000_000L;

    private final AccuracyComparison.Rule rule;
    private Object judged;
    private int lastCheckpoint = -1;
    /** Set once the action is published: labels keep arriving until the new pointer is read back. */
    private boolean acted;
    private boolean retryLater;
    private long retryAfterNanos;

    CheckpointJudge(AccuracyComparison.Rule rule) {
        this.rule = rule;
    }

    /**
     * The checkpoint at which {@code ahead} beats {@code behind} now, or -1. Checkpoints count {@code tally}, that of
     * {@code judged} (what is judged: a version, or a pair of pointers; one of the two tallies); the other needs the
     * minimum too.
     */
    int due(Object judged, AccuracyComparison.Tally tally, AccuracyComparison.Tally ahead, AccuracyComparison.Tally behind,
            long nowNanos) {
        return due(judged, tally.scored(), Math.min(ahead.scored(), behind.scored()), k -> rule.isAheadAtCheckpoint(ahead, behind, k),
                nowNanos);
    }

    /** The checkpoint at which {@code a} beats {@code b} on the same frames now, or -1. */
    int due(Object judged, AccuracyComparison.Paired frames, long nowNanos) {
        return due(judged, frames.scored(), frames.scored(), k -> rule.isAheadAtCheckpoint(frames, k), nowNanos);
    }

    /** {@code counted}: what checkpoints count; {@code fewest}: the fewer labels of either side; {@code aheadAt}: the test. */
    private int due(Object judged, long counted, long fewest, IntPredicate aheadAt, long nowNanos) {
        if (!judged.equals(this.judged)) {
            this.judged = judged;
            lastCheckpoint = -1;
            acted = false;
            retryLater = false;
        }
        int checkpoint = rule.checkpoint(counted);
        if (acted || checkpoint <= lastCheckpoint || fewest < rule.minLabels() || (retryLater && nowNanos - retryAfterNanos < 0)) {
            return -1;
        }
        if (!aheadAt.test(checkpoint)) {
            lastCheckpoint = checkpoint;
            return -1;
        }
        return checkpoint;
    }

    void acted(int checkpoint) {
        acted = true;
        lastCheckpoint = checkpoint;
    }

    /** An action that failed: a permanent failure spends the checkpoint, a transient one waits RETRY_NANOS. */
    void failed(int checkpoint, boolean permanent, long nowNanos) {
        if (permanent) {
            lastCheckpoint = checkpoint;
        } else {
            retryLater = true;
            retryAfterNanos = nowNanos + RETRY_NANOS;
        }
    }

    double confidenceAt(int checkpoint) {
        return rule.confidenceAt(checkpoint);
    }
}
