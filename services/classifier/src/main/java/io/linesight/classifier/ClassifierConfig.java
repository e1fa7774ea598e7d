package io.linesight.classifier;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;

/** Settings of the classifier; application.properties documents each. */
@ConfigMapping(prefix = "linesight")
public interface ClassifierConfig {
    Model model();

    Frames frames();

    Topics topics();

    Classifier classifier();

    Cache cache();

    interface Model {
        /** The one model this deployment serves; pointers for other names are ignored. */
        @WithDefault("defects")
        String name();
    }

    interface Frames {
        @WithDefault("8388608")
        int maxBytes();

        @WithDefault("40000000")
        long maxPixels();

        @WithDefault("7d")
        Duration retention();
    }

    interface Topics {
        @WithDefault("3")
        int partitions();

        @WithDefault("1")
        short replicationFactor();
    }

    interface Classifier {
        /** Most frames per inference. */
        @WithDefault("8")
        int batchSize();

        /** Longest a batch waits for more frames once it holds one. */
        @WithDefault("5ms")
        Duration maxWait();

        @WithDefault("3")
        int topK();

        /** auto (GPU when one is visible), cpu or gpu. */
        @WithDefault("auto")
        DeviceSelection.Mode device();

        /** Where fetched and verified versions are kept. */
        Path modelCache();

        /** Threads decoding and resizing frames, in parallel with inference. */
        @WithDefault("2")
        int preprocessThreads();
    }

    interface Cache {
        /** How long a (image, version) prediction is reused. */
        @WithDefault("1h")
        Duration ttl();

        /** Bound on every Redis call on the hot path. */
        @WithDefault("20ms")
        Duration timeout();

        /** After a Redis failure, classify uncached for this long before trying Redis again. */
        @WithDefault("2s")
        Duration retryAfter();
    }
}
