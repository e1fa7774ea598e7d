package io.linesight.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {
    @Test
    void warmUpRisesLinearlyFromATenth() {
        LearningRateSchedule schedule = new LearningRateSchedule(LearningRateSchedule.Kind.CONSTANT, 1f, 10);
        assertEquals(0.1f, schedule.at(0, 100), 1e-6);
        assertEquals(0.55f, schedule.at(5, 100), 1e-6);
        assertEquals(1f, schedule.at(10, 100), 1e-6);
        assertEquals(1f, schedule.at(99, 100), 1e-6);
    }

    @Test
    void cosineDecaysToZeroAtTheEnd() {
        LearningRateSchedule schedule = new LearningRateSchedule(LearningRateSchedule.Kind.COSINE, 0.2f, 0);
        assertEquals(0.2f, schedule.at(0, 100), 1e-6);
        assertEquals(0.1f, schedule.at(50, 100), 1e-6);
        assertEquals(0f, schedule.at(100, 100), 1e-6);
    }

    @Test
    void stepDropsTenfoldAtHalfAndThreeQuarters() {
        LearningRateSchedule schedule = new LearningRateSchedule(LearningRateSchedule.Kind.STEP, 1f, 0);
        assertEquals(1f, schedule.at(49, 100), 1e-6);
        assertEquals(0.1f, schedule.at(50, 100), 1e-6);
        assertEquals(0.01f, schedule.at(80, 100), 1e-6);
    }
}
