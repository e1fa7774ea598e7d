package io.linesight.trainer;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;

/** Settings of the trainer; application.properties documents each. */
@ConfigMapping(prefix = "linesight")
public interface TrainerConfig {
    Model model();

    Frames frames();

    Topics topics();

    Registry registry();

    Trainer trainer();

    interface Model {
        @WithDefault("defects")
        String name();
    }

    interface Frames {
        @WithDefault("8388608")
        int maxBytes();

        @WithDefault("7d")
        Duration retention();
    }

    interface Topics {
        @WithDefault("3")
        int partitions();

        @WithDefault("1")
        short replicationFactor();
    }

    interface Registry {
        /** The registry this trainer owns and serves read-only over HTTP. */
        Path dir();

        /** Base URL classifiers reach this trainer at; artifact URIs are built from it. */
        String publicUrl();
    }

    interface Trainer {
        /** Where samples are kept on disk (they are also on the compacted linesight.samples). */
        Path samplesDir();

        /** Fine-tune after this many new samples... */
        @WithDefault("50")
        int minNewSamples();

        /** How often the trigger is checked (read by the scheduler). */
        @WithDefault("10s")
        String checkInterval();

        /** ...or after this long with at least one new sample. */
        @WithDefault("10m")
        Duration maxInterval();

        /** Share of AUDIT samples held out (by hash of the frame id) to compare candidate and serving version. */
        @WithDefault("0.5")
        double holdoutFraction();

        /** No version is published while the holdout is smaller than this. */
        @WithDefault("50")
        int minHoldout();

        /** The candidate must beat the serving version's holdout macro-recall by more than this. */
        @WithDefault("0.01")
        double margin();

        @WithDefault("full")
        String strategy();

        @WithDefault("5")
        int epochs();

        @WithDefault("16")
        int batchSize();

        @WithDefault("0.01")
        float learningRate();

        @WithDefault("5e-4")
        float weightDecay();

        @WithDefault("2")
        int threads();
    }
}
