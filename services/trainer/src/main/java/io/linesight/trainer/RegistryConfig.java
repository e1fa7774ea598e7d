package io.linesight.trainer;

import io.smallrye.config.ConfigMapping;
import java.nio.file.Path;

/** linesight.registry.*: the registry this trainer owns and serves read-only over HTTP. */
@ConfigMapping(prefix = "linesight.registry")
public interface RegistryConfig {
    Path dir();

    /** Base URL classifiers reach this trainer at; artifact URIs are built from it. */
    String publicUrl();
}
