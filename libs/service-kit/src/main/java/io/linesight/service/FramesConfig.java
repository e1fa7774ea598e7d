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

    /** Largest heap one image may decode to (width x height x bands x bytes per sample), checked before decoding. */
    @WithDefault(Defaults.MAX_DECODED_BYTES)
    long maxDecodedBytes();

    /** The share of the maximum heap the images decoding at once may take; further decodes wait for it. */
    @WithDefault(Defaults.DECODE_HEAP_SHARE)
    double decodeHeapShare();

    /** How long frames stay on linesight.frames (and the frame index in Redis): labels must come within it. */
    @WithDefault(Defaults.FRAMES_RETENTION)
    Duration retention();
}
