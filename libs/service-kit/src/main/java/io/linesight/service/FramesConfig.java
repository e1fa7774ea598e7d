package io.linesight.service;

import io.linesight.common.Defaults;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** linesight.frames.*: the frame limits every service applies alike. */
@ConfigMapping(prefix = "linesight.frames")
public interface FramesConfig {
    /** The one frame-size limit (bytes of the encoded image); sizes the topics and the Kafka clients too. */
    @WithDefault(Defaults.MAX_FRAME_BYTES)
    int maxBytes();

    /** Largest width x height a header may declare, checked before decoding. */
    @WithDefault(Defaults.MAX_PIXELS)
    long maxPixels();

    /** How long frames stay on linesight.frames (and the frame index in Redis): labels must come within it. */
    @WithDefault(Defaults.FRAMES_RETENTION)
    Duration retention();
}
