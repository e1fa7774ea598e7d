package io.linesight.service;

import io.linesight.common.Defaults;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** linesight.model.*: the one model of this deployment; pointers of other models are ignored. */
@ConfigMapping(prefix = "linesight.model")
public interface ModelConfig {
    @WithDefault(Defaults.MODEL_NAME)
    String name();
}
