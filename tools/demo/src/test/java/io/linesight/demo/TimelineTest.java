package io.linesight.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The demo's shadow figures: paired on the same AUDIT frames, and promoted only when a SHADOW pointer came first. */
class TimelineTest {
    @Test
    void aShadowIsScoredBesideTheServingVersionOnTheSameAuditFramesOnly() {
        Timeline timeline = new Timeline();
        timeline.add(observed("a", 1, false, true));
        timeline.add(observed("b", 1, true, true));
        timeline.add(observed("c", 1, false, false));
        timeline.addShadow(observed("a", 2, true, true));
        timeline.addShadow(observed("b", 2, true, true));
        timeline.addShadow(observed("c", 2, true, false));
        timeline.addShadow(observed("unserved", 2, false, true));

        assertEquals(List.of(new Timeline.ShadowAccuracy(2, 4, 2, 1.0, 0.5)), timeline.shadowByVersion());
    }

    @Test
    void onlyAVersionThatRanAsShadowBeforeServingCountsAsAPromotedShadow() {
        Timeline timeline = new Timeline();
        timeline.addPointer(new Timeline.PointerEvent(1, 1, "SERVING"));
        timeline.addPointer(new Timeline.PointerEvent(2, 3, "SERVING"));
        timeline.addPointer(new Timeline.PointerEvent(3, 3, "SHADOW"));
        timeline.addPointer(new Timeline.PointerEvent(4, 2, "SHADOW"));
        timeline.addPointer(new Timeline.PointerEvent(5, 2, "SERVING"));
        timeline.addPointer(new Timeline.PointerEvent(6, 2, "SERVING"));

        assertEquals(List.of(2), timeline.promotedShadows());
    }

    @Test
    void theStatusLineShowsTheTrainersShadowTallyOnceItHasScoredALabel() {
        String metrics = """
                # HELP linesight_accuracy_shadow_labels Live AUDIT frames both answered
                linesight_accuracy_shadow_labels 34.0
                linesight_accuracy_shadow_ratio{role="serving"} 0.4117647058823529
                linesight_accuracy_shadow_ratio{role="shadow"} 0.7352941176470589
                """;
        assertEquals(" | shadow 0.74 vs serving 0.41 on 34 live AUDIT labels", Demo.shadowTally(metrics));
        assertEquals("", Demo.shadowTally("linesight_accuracy_shadow_labels 0.0\nlinesight_accuracy_shadow_ratio{role=\"shadow\"} NaN\n"));
    }

    @Test
    void driftIsReadPerCameraAndJudgedAroundTheDimming() {
        String metrics = """
                # TYPE linesight_drift_score gauge
                linesight_drift_score{camera="camera-1"} 0.42
                linesight_drift_score{camera="camera-3"} NaN
                linesight_drift_signal{camera="camera-1",signal="brightness"} 0.3
                """;
        assertEquals(2, Demo.driftScores(metrics).size());
        assertEquals(0.42, Demo.driftScores(metrics).get("camera-1"));
        assertTrue(Double.isNaN(Demo.driftScores(metrics).get("camera-3")));

        Timeline timeline = new Timeline();
        timeline.addDrift(new Timeline.DriftSample(1_000, "camera-1", 0.4));
        timeline.addDrift(new Timeline.DriftSample(1_000, "camera-3", Double.NaN));
        timeline.addDrift(new Timeline.DriftSample(9_000, "camera-3", 0.6));
        timeline.addDrift(new Timeline.DriftSample(12_000, "camera-3", 1.7));
        timeline.addDrift(new Timeline.DriftSample(14_000, "camera-3", 2.5));
        timeline.addDrift(new Timeline.DriftSample(14_000, "camera-1", 0.7));
        assertEquals(List.of(new Timeline.CameraDrift("camera-1", false, 0.4, 0.7, Double.NaN),
                new Timeline.CameraDrift("camera-3", true, 0.6, 2.5, 2.0)), timeline.driftByCamera("camera-3", 10_000, 1.0));
    }

    private static Timeline.Observed observed(String frameId, int version, boolean correct, boolean audit) {
        return new Timeline.Observed(frameId, 0, version, correct, audit, 0, "", false, 0.9);
    }
}
