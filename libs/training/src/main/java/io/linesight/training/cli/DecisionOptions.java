package io.linesight.training.cli;

import io.linesight.common.Defaults;
import io.linesight.common.OperatingPoints;
import java.util.List;
import picocli.CommandLine.Option;

/** The OK / NG / RECHECK target a published version is fitted for: the trainer's own settings. */
final class DecisionOptions {
    @Option(names = "--good-classes", split = ",", paramLabel = "CLASS", defaultValue = "${env:LINESIGHT_TRAINER_GOOD_CLASSES}",
            description = "Classes of good parts, comma-separated; none = no decisions (default: $LINESIGHT_TRAINER_GOOD_CLASSES).")
    List<String> goodClasses;

    @Option(names = "--escape-target", defaultValue = "${env:LINESIGHT_TRAINER_ESCAPE_TARGET:-" + Defaults.ESCAPE_TARGET + "}",
            description = "Share of defective parts that may be called OK (default: ${DEFAULT-VALUE}).")
    double escapeTarget;

    @Option(names = "--escape-confidence", defaultValue = "${env:LINESIGHT_TRAINER_ESCAPE_CONFIDENCE:-" + Defaults.ESCAPE_CONFIDENCE + "}",
            description = "Confidence of the escape rate's upper bound that must meet the target (default: ${DEFAULT-VALUE}).")
    double escapeConfidence;

    /** The target, or null when no good class is named. */
    OperatingPoints.Target targetOrNull() {
        return OperatingPoints.Target.named(goodClasses == null ? List.of() : goodClasses, escapeTarget, escapeConfidence);
    }
}
