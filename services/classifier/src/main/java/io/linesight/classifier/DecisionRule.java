package io.linesight.classifier;

import io.linesight.common.OperatingPoints;
import io.linesight.common.registry.ModelManifest;
import io.linesight.proto.Prediction;
import java.util.List;

/** The OK / NG / RECHECK rule of one serving version: its signed manifest's operating point (OperatingPoints). */
record DecisionRule(List<String> classes, OperatingPoints.Rule rule, double escapeTarget) {
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
            return new DecisionRule(classes, OperatingPoints.Rule.of(point, classes), point.escapeTarget());
        } catch (IllegalArgumentException e) {
            throw new ModelRejectedException("operating_point", "version " + manifest.version() + ": " + e.getMessage());
        }
    }

    /** Sets the decision, its class, threshold and target on the answer for these calibrated probabilities. */
    void apply(float[] probabilities, Prediction.Builder answer) {
        OperatingPoints.Verdict verdict = rule.decide(probabilities, 0);
        answer.setDecision(verdict.decision()).setDecisionClass(classes.get(verdict.classIndex()))
                .setDecisionThreshold((float) verdict.threshold()).setEscapeTarget(escapeTarget);
    }
}
