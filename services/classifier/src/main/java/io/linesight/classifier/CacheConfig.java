package io.linesight.classifier;

import io.smallrye.config.ConfigMapping;
import java.time.Duration;

/** linesight.cache.*: the Redis prediction cache on the hot path (values in application.properties). */
@ConfigMapping(prefix = "linesight.cache")
public interface CacheConfig {
    /** How long an (image, version) prediction is reused. */
    Duration ttl();

    /** Bound on every Redis call on the hot path (the client's default is seconds). */
    Duration timeout();

    /** After a Redis failure, classify uncached for this long before trying Redis again. */
    Duration retryAfter();
}
