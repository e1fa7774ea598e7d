package io.linesight.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;

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

    private static Timeline.Observed observed(String frameId, int version, boolean correct, boolean audit) {
        return new Timeline.Observed(frameId, 0, version, correct, audit, 0, "", false, 0.9);
    }
}
