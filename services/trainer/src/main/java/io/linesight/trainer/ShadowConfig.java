package io.linesight.trainer;

import io.smallrye.config.ConfigMapping;
import java.time.Duration;

/** linesight.shadow.*: when live AUDIT labels promote the shadow candidate, or end it (ShadowEvaluation). */
@ConfigMapping(prefix = "linesight.shadow")
public interface ShadowConfig extends LiveComparisonConfig {
    /** A shadow still undecided this long after it was announced is ended, so shadow mode trains again. */
    Duration maxDuration();
}
