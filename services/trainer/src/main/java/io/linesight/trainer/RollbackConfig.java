package io.linesight.trainer;

import io.smallrye.config.ConfigMapping;

/** linesight.rollback.*: when live AUDIT labels roll the serving version back to its predecessor (AutoRollback). */
@ConfigMapping(prefix = "linesight.rollback")
public interface RollbackConfig extends LiveComparisonConfig {
    boolean enabled();
}
