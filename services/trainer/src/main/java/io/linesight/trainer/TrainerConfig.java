package io.linesight.trainer;

import io.linesight.common.Defaults;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/** linesight.trainer.*: when and how to fine-tune; values and why in application.properties. */
@ConfigMapping(prefix = "linesight.trainer")
public interface TrainerConfig {
    /** Where samples are kept on disk (they are also on the compacted linesight.samples). */
    Path samplesDir();

    /** Ed25519 key (PEM text or file, ./run keys) that signs every version this trainer publishes. */
    String signingKey();

    /** Fine-tune after this many new samples... */
    int minNewSamples();

    /** ...or when this long has passed since the last run and at least one new sample arrived. */
    Duration maxInterval();

    /** How often those two triggers are checked (a scheduler interval such as 10s). */
    String checkInterval();

    /** Share of audit images held out (by hash of the image content) to compare candidate and serving version. */
    double holdoutFraction();

    /** Sample retention: training images kept per class (a uniform sample by content hash); the holdout is kept whole. */
    int maxSamplesPerClass();

    /** No version is published while the holdout is smaller than this. */
    int minHoldout();

    /** The candidate must beat the serving version's holdout macro-recall by more than this. */
    double margin();

    /**
     * What a candidate that beat the serving version on the holdout needs before it serves: {@code holdout} (nothing
     * more: it is promoted) or {@code shadow} (it runs as the shadow candidate and must also beat the serving version
     * on live AUDIT labels, ShadowEvaluation).
     */
    Promotion promotion();

    enum Promotion {
        HOLDOUT, SHADOW
    }

    String strategy();

    /** surface (flips, quarter turns, brightness and contrast) or shift-flip: Augmentation. */
    String augmentation();

    int epochs();

    int batchSize();

    float learningRate();

    float weightDecay();

    int threads();

    /** The consumer group on linesight.trainer-lease whose one partition makes a replica the active trainer. */
    String leaseGroup();

    /** How long a holder may miss heartbeats before a standby takes the lease. */
    Duration leaseTimeout();

    /** Classes of good parts: each promoted version gets OK / NG / RECHECK thresholds (OperatingPoints); none = no decisions. */
    Optional<Set<String>> goodClasses();

    /** The share of defective parts that may be called OK. */
    @WithDefault(Defaults.ESCAPE_TARGET)
    double escapeTarget();

    /** The confidence of the escape rate's upper bound that must meet the target. */
    @WithDefault(Defaults.ESCAPE_CONFIDENCE)
    double escapeConfidence();
}
