package io.linesight.training;

import java.util.Locale;

/**
 * Learning rate per step: linear warm-up from a tenth of the base rate, then constant, cosine decay to zero, or
 * step decay (x0.1 at 50 % and 75 % of training). Decay matters here: a constant rate leaves the last epochs
 * bouncing, and the version published is the last one.
 */
public record LearningRateSchedule(Kind kind, float baseRate, long warmupSteps) {
    public enum Kind {
        CONSTANT, COSINE, STEP;

        public static Kind fromCli(String name) {
            return valueOf(name.toUpperCase(Locale.ROOT));
        }
    }

    public LearningRateSchedule {
        if (baseRate < 0 || warmupSteps < 0) {
            throw new IllegalArgumentException("learning rate and warm-up must not be negative");
        }
    }

    /** The rate of step {@code step} (0-based) out of {@code totalSteps}. */
    public float at(long step, long totalSteps) {
        if (step < warmupSteps) {
            return baseRate * (0.1f + 0.9f * step / warmupSteps);
        }
        double progress = totalSteps <= warmupSteps ? 1 : (double) (step - warmupSteps) / (totalSteps - warmupSteps);
        return switch (kind) {
            case CONSTANT -> baseRate;
            case COSINE -> (float) (baseRate * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
            case STEP -> baseRate * (progress < 0.5 ? 1f : progress < 0.75 ? 0.1f : 0.01f);
        };
    }
}
