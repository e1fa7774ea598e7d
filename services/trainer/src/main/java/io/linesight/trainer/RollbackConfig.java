package io.linesight.trainer;

import io.linesight.common.AccuracyComparison;
import io.smallrye.config.ConfigMapping;

/** linesight.rollback.*: when live AUDIT labels roll the serving version back to its predecessor (AutoRollback). */
@ConfigMapping(prefix = "linesight.rollback")
public interface RollbackConfig {
    boolean enabled();

    /** Accuracy points the predecessor must be ahead by. */
    double margin();

    /** One-sided confidence that it is ahead by more than the margin. */
    double confidence();

    /** AUDIT labels each of the two versions needs first. */
    int minAuditLabels();

    default AccuracyComparison.Rule rule() {
        return new AccuracyComparison.Rule(margin(), confidence(), minAuditLabels());
    }
}
