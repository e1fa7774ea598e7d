package io.linesight.classifier;

import io.smallrye.config.ConfigMapping;
import java.nio.file.Path;
import java.time.Duration;

/** linesight.classifier.*: batching, inference device and model cache; values and why in application.properties. */
@ConfigMapping(prefix = "linesight.classifier")
public interface ClassifierConfig {
    /** Most frames per inference. */
    int batchSize();

    /** Longest a batch waits for more frames once it holds one. */
    Duration maxWait();

    int topK();

    /** auto (GPU when one is visible), cpu or gpu. */
    DeviceSelection.Mode device();

    /** Where fetched and verified versions are kept. */
    Path modelCache();

    /** Threads decoding and resizing frames, in parallel with inference. */
    int preprocessThreads();
}
