package io.linesight.trainer;

import io.smallrye.config.ConfigMapping;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;

/** linesight.registry.*: the registry this trainer owns and serves read-only over HTTP. */
@ConfigMapping(prefix = "linesight.registry")
public interface RegistryConfig {
    Path dir();

    /** Base URL classifiers reach this trainer at; artifact URIs are built from it. */
    String publicUrl();

    /** Retention: versions kept below the serving one (rollback targets); older ones are deleted unless pinned. */
    int keepPrevious();

    /** Versions never deleted (e.g. a reference or bootstrap version). */
    Optional<Set<Integer>> pinned();
}
