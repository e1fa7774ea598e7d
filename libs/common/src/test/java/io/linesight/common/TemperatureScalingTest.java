package io.linesight.common;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TemperatureScalingTest {
    @Test
    void anOverconfidentModelIsCooledAndItsCalibrationErrorFalls() {
        // True logits z, a model that reports softmax(3 z): overconfident by a factor 3, so T should come out near 3.
        Random random = new Random(7);
        int classes = 4;
        int count = 4000;
        float[] reported = new float[count * classes];
        int[] labels = new int[count];
        for (int n = 0; n < count; n++) {
            double[] z = new double[classes];
            for (int i = 0; i < classes; i++) {
                z[i] = random.nextGaussian();
            }
            labels[n] = sample(softmax(z, 1), random);
            double[] p = softmax(z, 3);
            for (int i = 0; i < classes; i++) {
                reported[n * classes + i] = (float) p[i];
            }
        }
        TemperatureScaling.Fit fit = TemperatureScaling.fit(reported, labels, classes);
        assertEquals(3, fit.temperature(), 0.3);
        assertTrue(fit.eceAfter() < fit.eceBefore() / 3, fit.toString());
    }

    @Test
    void tooFewImagesKeepTheModelsOwnProbabilities() {
        int classes = 2;
        int count = TemperatureScaling.MIN_IMAGES - 1;
        float[] reported = new float[count * classes];
        int[] labels = new int[count];
        for (int n = 0; n < count; n++) {
            reported[n * classes] = 0.6f; // always right and under-confident: a fit would sharpen it
            reported[n * classes + 1] = 0.4f;
        }
        TemperatureScaling.Fit fit = TemperatureScaling.fit(reported, labels, classes);
        assertEquals(1, fit.temperature());
        assertEquals(count, fit.count());
        assertEquals(fit.eceBefore(), fit.eceAfter());
        float[] more = new float[(count + 1) * classes];
        for (int n = 0; n <= count; n++) {
            more[n * classes] = 0.6f;
            more[n * classes + 1] = 0.4f;
        }
        assertTrue(TemperatureScaling.fit(more, new int[count + 1], classes).temperature() < 1, "from the minimum on, fitted");
    }

    @Test
    void scalingKeepsTheWinnerAndSumsToOne() {
        float[] p = {0.7f, 0.2f, 0.1f};
        TemperatureScaling.apply(p, 0, 3, 2);
        assertEquals(1, p[0] + p[1] + p[2], 1e-6);
        assertTrue(p[0] > p[1] && p[1] > p[2] && p[0] < 0.7f);
        float[] same = {0.7f, 0.2f, 0.1f};
        TemperatureScaling.apply(same, 0, 3, 1);
        assertArrayEquals(new float[] {0.7f, 0.2f, 0.1f}, same);
    }

    private static double[] softmax(double[] z, double scale) {
        double[] p = new double[z.length];
        double sum = 0;
        for (int i = 0; i < z.length; i++) {
            p[i] = Math.exp(scale * z[i]);
            sum += p[i];
        }
        for (int i = 0; i < z.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    private static int sample(double[] p, Random random) {
        double u = random.nextDouble();
        for (int i = 0; i < p.length; i++) {
            u -= p[i];
            if (u <= 0) {
                return i;
            }
        }
        return p.length - 1;
    }
}
