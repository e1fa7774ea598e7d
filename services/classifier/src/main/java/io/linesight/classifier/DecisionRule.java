package io.linesight.classifier;

import io.linesight.common.OperatingPoints;
import io.linesight.common.registry.ModelManifest;
import io.linesight.proto.Decision;
import io.linesight.proto.Prediction;
import java.util.List;
import java.util.Set;

/** The OK / NG / RECHECK rule of one serving version: its signed manifest's operating point (OperatingPoints). */
record DecisionRule(List<String> classes, boolean[] good, double[] thresholds, double escapeTarget) {
    /**
     * Null when the version names no good class: its predictions carry no decision. An operating point that does not fit
     * the model (unknown or only good classes, a threshold missing or outside [0, NEVER]) refuses the version.
     */
    static DecisionRule of(ModelManifest manifest) throws ModelRejectedException {
        ModelManifest.OperatingPoint point = manifest.operatingPoint();
        if (point == null) {
            return null;
        }
        List<String> classes = manifest.classes();
        try {
            double[] thresholds = OperatingPoints.thresholds(point, classes);
            boolean[] good = new OperatingPoints.Target(Set.copyOf(point.goodClasses()), point.escapeTarget(), point.confidence())
                    .goodMask(classes);
            return new DecisionRule(classes, good, thresholds, point.escapeTarget());
        } catch (IllegalArgumentException e) {
            throw new ModelRejectedException("operating_point", "version " + manifest.version() + ": " + e.getMessage());
        }
    }

    /** Sets the decision, its class, threshold and target on the answer for these calibrated probabilities. */
    void apply(float[] probabilities, Prediction.Builder answer) {
        OperatingPoints.Decision decision = OperatingPoints.decide(probabilities, 0, probabilities.length, good, thresholds);
        answer.setDecision(switch (decision.call()) {
            case OK -> Decision.OK;
            case NG -> Decision.NG;
            case RECHECK -> Decision.RECHECK;
        }).setDecisionClass(classes.get(decision.classIndex())).setDecisionThreshold((float) decision.threshold())
                .setEscapeTarget(escapeTarget);
    }
}
