package io.linesight.training.model;

import java.util.Locale;

/** Which part of the network a fine-tune may change; the rest stays bit-identical. */
public enum Strategy {
    /** Only the classifier (fc); every backbone variable, BN statistics included, is frozen. */
    HEAD("train_head", null),
    /** layer4 and fc; layer4's BN statistics follow the new data. */
    LAST_STAGE("train_last_stage", "recalibrate_last_stage"),
    /** Every layer. */
    FULL("train_full", "recalibrate_full");

    private final String signatureKey;
    private final String recalibrationKey;

    Strategy(String signatureKey, String recalibrationKey) {
        this.signatureKey = signatureKey;
        this.recalibrationKey = recalibrationKey;
    }

    /** Training signature of the training/ SavedModel: images, labels, learning_rate, weight_decay -> loss, accuracy. */
    public String signatureKey() {
        return signatureKey;
    }

    /** Signature that only refreshes BN running statistics, or null when the strategy freezes them. */
    public String recalibrationKey() {
        return recalibrationKey;
    }

    /** Whether the variable named in torchvision's layout may change under this strategy. */
    public boolean trains(String variableName) {
        return switch (this) {
            case HEAD -> variableName.startsWith("fc.");
            case LAST_STAGE -> variableName.startsWith("fc.") || variableName.startsWith("layer4.");
            case FULL -> true;
        };
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Strategy fromCli(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_'));
    }
}
