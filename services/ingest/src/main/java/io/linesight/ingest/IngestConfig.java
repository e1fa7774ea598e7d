package io.linesight.ingest;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;

/** Settings of ingest; application.properties documents each. */
@ConfigMapping(prefix = "linesight")
public interface IngestConfig {
    Model model();

    Frames frames();

    Audit audit();

    Topics topics();

    Producer producer();

    interface Model {
        /** The model whose serving pointer names the valid label classes. */
        @WithDefault("defects")
        String name();
    }

    interface Frames {
        /** The one frame-size limit (bytes of the encoded image). */
        @WithDefault("8388608")
        int maxBytes();

        /** Largest accepted width x height, checked from the header before decoding. */
        @WithDefault("40000000")
        long maxPixels();

        /** How long frames stay on linesight.frames; also the TTL of the frame index in Redis. */
        @WithDefault("7d")
        Duration retention();
    }

    interface Audit {
        /** Share of frames chosen for blind operator audit. */
        @WithDefault("0.05")
        double rate();
    }

    interface Topics {
        @WithDefault("3")
        int partitions();

        @WithDefault("1")
        short replicationFactor();
    }

    interface Producer {
        /** How long a send may wait for broker metadata or buffer space before the request gets 503. */
        @WithDefault("5s")
        Duration maxBlock();

        /** Upper bound on a send, retries included, before the request gets 503. */
        @WithDefault("15s")
        Duration deliveryTimeout();
    }
}
