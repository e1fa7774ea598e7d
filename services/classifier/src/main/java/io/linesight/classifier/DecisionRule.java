package io.linesight.classifier;

import io.linesight.common.OperatingPoints;
import io.linesight.common.registry.ModelManifest;
import io.linesight.proto.Decision;
import io.linesight.proto.Prediction;
import java.util.List;

/** The OK / NG / RECHECK rule of one serving version: its signed manifest's operating point (OperatingPoints). */
record DecisionRule(List<String> classes, boolean[] good, double[] thresholds, double escapeTarget) {
    /** Null when the version names no good class: its predictions carry no decision. */
    static DecisionRule of(ModelManifest manifest) {
        ModelManifest.OperatingPoint point = manifest.operatingPoint();
        if (point == null) {
            return null;
        }
        List<String> classes = manifest.classes();
        boolean[] good = new boolean[classes.size()];
        for (int c = 0; c < good.length; c++) {
            good[c] = point.goodClasses().contains(classes.get(c));
        }
        return new DecisionRule(classes, good, OperatingPoints.thresholds(point, classes), point.escapeTarget());
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
