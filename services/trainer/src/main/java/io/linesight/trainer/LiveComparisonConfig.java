package io.linesight.trainer;

import io.linesight.common.AccuracyComparison;

/** The one-sided live comparison shared by linesight.rollback.* and linesight.shadow.* (CheckpointJudge applies it). */
public interface LiveComparisonConfig {
    /** Accuracy points one side must be ahead by on live AUDIT labels. */
    double margin();

    /** One-sided confidence that it is ahead by more than the margin. */
    double confidence();

    /** AUDIT labels each side needs before anything is decided. */
    int minAuditLabels();

    default AccuracyComparison.Rule rule() {
        return new AccuracyComparison.Rule(margin(), confidence(), minAuditLabels());
    }
}
