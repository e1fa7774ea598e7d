package io.linesight.trainer;

import io.linesight.common.AccuracyComparison;
import io.smallrye.config.ConfigMapping;
import java.time.Duration;

/** linesight.shadow.*: when live AUDIT labels promote the shadow candidate, or end it (ShadowEvaluation). */
@ConfigMapping(prefix = "linesight.shadow")
public interface ShadowConfig {
    /** Accuracy points one side must be ahead by on the same frames. */
    double margin();

    /** One-sided confidence that it is ahead by more than the margin. */
    double confidence();

    /** AUDIT frames both versions answered before anything is decided. */
    int minAuditLabels();

    /** A shadow still undecided this long after it was announced is ended, so shadow mode trains again. */
    Duration maxDuration();

    default AccuracyComparison.Rule rule() {
        return new AccuracyComparison.Rule(margin(), confidence(), minAuditLabels());
    }
}
