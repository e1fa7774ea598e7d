package io.linesight.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.linesight.proto.Decision;
import io.linesight.proto.Label;
import io.linesight.proto.LabelSource;
import io.linesight.proto.ModelVersion;
import io.linesight.proto.OperatingPoint;
import io.linesight.service.ServingPointerChanged;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class AccuracyMetricsTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AccuracyMetrics metrics = new AccuracyMetrics(registry, Set.of("ok"));

    @Test
    void servingAndPreviousAuditAccuracyFollowSwaps() {
        metrics.servingChanged(1);
        label(1, 15, 5, LabelSource.AUDIT);
        label(1, 0, 30, LabelSource.REVIEW); // biased labels never count towards the audit figure
        assertEquals(0.75, ratio("serving"), 1e-9);
        assertTrue(Double.isNaN(ratio("previous")));

        metrics.servingChanged(99); // announced, never served a frame (refused by the classifiers)
        metrics.servingChanged(2);
        label(2, 10, 0, LabelSource.AUDIT);
        assertEquals(0.75, ratio("previous"), 1e-9);
        assertTrue(Double.isNaN(ratio("serving")), "10 AUDIT labels are below the minimum");
        assertEquals(10, registry.get("linesight.accuracy.audit.labels").tag("role", "serving").gauge().value());

        label(2, 10, 0, LabelSource.AUDIT);
        assertEquals(1.0, ratio("serving"), 1e-9);
    }

    @Test
    void labelsOfTheOldVersionArrivingAfterTheSwapStillMakeItThePreviousOne() {
        metrics.servingChanged(1);
        metrics.servingChanged(99); // refused by the classifiers: never serves a frame
        metrics.servingChanged(2);
        assertTrue(Double.isNaN(ratio("previous")));

        label(1, 20, 0, LabelSource.AUDIT); // the labels topic lags the model-versions topic
        assertEquals(1.0, ratio("previous"), 1e-9);
    }

    @Test
    void seriesOfOldVersionsGoButNotThoseOfTheServingAndPreviousOnes() {
        for (int version = 1; version <= 6; version++) {
            metrics.servingChanged(version);
            label(version, 1, 0, LabelSource.AUDIT);
        }
        metrics.servingChanged(7);

        Set<String> versions = new TreeSet<>();
        registry.find("linesight.accuracy.labels").counters().forEach(c -> versions.add(c.getId().getTag("version")));
        assertEquals(Set.of("3", "4", "5", "6"), versions);
    }

    @Test
    void auditLabelsCountServedDecisionsByTheTrueKindOfPart() {
        metrics.servingChanged(1);
        decided("scratches", Decision.OK, LabelSource.AUDIT);   // an escape
        decided("scratches", Decision.NG, LabelSource.AUDIT);
        decided("ok", Decision.NG, LabelSource.AUDIT);          // a false reject
        decided("ok", Decision.RECHECK, LabelSource.AUDIT);
        decided("scratches", Decision.OK, LabelSource.REVIEW);  // biased: not counted
        assertEquals(1, decisions("defect", "OK"));
        assertEquals(1, decisions("defect", "NG"));
        assertEquals(1, decisions("good", "NG"));
        assertEquals(1, decisions("good", "RECHECK"));
        assertEquals(0, decisions("good", "OK"));

        assertTrue(Double.isNaN(estimated("escape_upper_bound")), "no operating point yet");
        metrics.onPointer(new ServingPointerChanged(ModelVersion.newBuilder().setVersion(2)
                .setOperatingPoint(OperatingPoint.newBuilder().setEscapeUpperBound(0.004).setEscapeTarget(0.005)).build()));
        assertEquals(0.004, estimated("escape_upper_bound"), 1e-12);
        assertEquals(0.005, estimated("escape_target"), 1e-12);
    }

    private void decided(String truth, Decision decision, LabelSource source) {
        metrics.record(Label.newBuilder().setFrameId("f" + next++).setServedModelVersion(1).setPredictedClass("scratches")
                .setLabel(truth).setSource(source).setCameraId("cam-1").setServedDecision(decision).build());
    }

    private double decisions(String truth, String decision) {
        var counter = registry.find(AccuracyMetrics.DECISIONS).tags("truth", truth, "decision", decision).counter();
        return counter == null ? 0 : counter.count();
    }

    private double estimated(String figure) {
        return registry.get("linesight.decisions.estimated").tag("figure", figure).gauge().value();
    }

    private double ratio(String role) {
        return registry.get("linesight.accuracy.audit.ratio").tag("role", role).gauge().value();
    }

    private int next;

    private void label(int version, int right, int wrong, LabelSource source) {
        for (int i = 0; i < right + wrong; i++) {
            metrics.record(Label.newBuilder().setFrameId("f" + next++).setServedModelVersion(version).setPredictedClass("crazing")
                    .setLabel(i < right ? "crazing" : "scratches").setSource(source).setCameraId("cam-1").build());
        }
    }
}
