package io.linesight.ingest;

import io.smallrye.config.ConfigMapping;
import java.time.Duration;

/**
 * linesight.producer.*: how long a request may wait for Kafka before it is answered 503, and how frames are keyed
 * (values in application.properties).
 */
@ConfigMapping(prefix = "linesight.producer")
public interface PublishConfig {
    /** How long a send may wait for broker metadata or buffer space. */
    Duration maxBlock();

    /** Upper bound on a send, retries included. */
    Duration deliveryTimeout();

    /** camera-id or frame-id. */
    FrameKey frameKey();
}
