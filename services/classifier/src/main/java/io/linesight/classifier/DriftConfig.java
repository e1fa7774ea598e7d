package io.linesight.classifier;

import io.smallrye.config.ConfigMapping;
import java.time.Duration;

/** linesight.drift.*: how CameraDrift compares each camera with itself; values and why in application.properties. */
@ConfigMapping(prefix = "linesight.drift")
public interface DriftConfig {
    /** Inferred frames per camera that make its reference, from the start of each serving version. */
    int referenceFrames();

    /** Frames the recent window averages over (an exponentially weighted mean of about this many). */
    int window();

    /** Most cameras watched at once; a new camera takes the place of one idle past idle-after, or is not watched. */
    int maxCameras();

    /** A camera that sent nothing here for this long reads NaN (it moved to another replica or stopped) and may be forgotten. */
    Duration idleAfter();
}
