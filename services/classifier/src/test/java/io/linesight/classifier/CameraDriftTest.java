package io.linesight.classifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CameraDriftTest {
    private static final int REFERENCE = 200;
    private static final int WINDOW = 50;

    /** brightness, sharpness, confidence, then a 16-dimensional embedding; each signal N(0, 1) around its centre. */
    private static double[] frame(Random random, double brightnessShift) {
        double[] x = new double[3 + 16];
        for (int i = 0; i < x.length; i++) {
            x[i] = 0.5 + 0.1 * random.nextGaussian();
        }
        x[0] += brightnessShift;
        return x;
    }

    private static CameraDrift.Camera camera() {
        return new CameraDrift.Camera(REFERENCE, 2.0 / (WINDOW + 1), Long.MAX_VALUE);
    }

    @Test
    void aHealthyCameraStaysBelowOneOverALongStream() {
        Random random = new Random(7);
        CameraDrift.Camera camera = camera();
        for (int i = 0; i < REFERENCE - 1; i++) {
            camera.add("v1", 64, frame(random, 0), 0);
            assertTrue(Double.isNaN(camera.snapshot().score()), "no score while the reference fills");
        }
        double worst = 0;
        for (int i = 0; i < 20_000; i++) {
            camera.add("v1", 64, frame(random, 0), 0);
            worst = Math.max(worst, camera.snapshot().score());
        }
        assertTrue(worst < 1, "worst score of a healthy stream " + worst);
    }

    @Test
    void aDimmedCameraCrossesOneWithinAWindowOnBrightness() {
        Random random = new Random(8);
        CameraDrift.Camera camera = camera();
        for (int i = 0; i < REFERENCE + 100; i++) {
            camera.add("v1", 64, frame(random, 0), 0);
        }
        int frames = 0;
        while (camera.snapshot().score() < 1 && frames < WINDOW) {
            camera.add("v1", 64, frame(random, -0.3), 0); // 3 reference standard deviations darker
            frames++;
        }
        assertTrue(camera.snapshot().score() >= 1, "score " + camera.snapshot().score() + " after " + frames + " dimmed frames");
        assertTrue(camera.snapshot().signals()[0] >= 1 && camera.snapshot().signals()[3] < 1, "brightness moved, the embedding did not");
    }

    @Test
    void aNewVersionStartsTheModelsReferenceOverAndKeepsTheImages() {
        Random random = new Random(9);
        CameraDrift.Camera camera = camera();
        for (int i = 0; i < REFERENCE + 10; i++) {
            camera.add("v1", 64, frame(random, 0), 0);
        }
        camera.add("v2", 64, frame(random, 0), 0);
        assertTrue(Double.isNaN(camera.snapshot().signals()[2]) && Double.isNaN(camera.snapshot().signals()[3]),
                "another version's confidence and embedding are another space: their reference starts over");
        assertTrue(camera.snapshot().signals()[0] < 1, "the image's reference goes on: " + Arrays.toString(camera.snapshot().signals()));
        for (int i = 0; i < WINDOW; i++) {
            camera.add("v2", 64, frame(random, -0.3), 0);
        }
        assertTrue(camera.snapshot().signals()[0] >= 1 && camera.snapshot().score() >= 1,
                "a lamp that dims while the new version's reference fills is flagged: " + Arrays.toString(camera.snapshot().signals()));
        camera.add("v2", 96, frame(random, -0.3), 0);
        assertTrue(Double.isNaN(camera.snapshot().signals()[0]) && Double.isNaN(camera.snapshot().signals()[1])
                && Double.isNaN(camera.snapshot().score()), "a new input size starts the image's reference over");
    }

    @Test
    void nonFiniteFramesAreSkippedAndIdleCamerasReadNaNThenMakeRoom() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        CameraDrift drift = new CameraDrift(registry, config(2, Duration.ofMinutes(10)));
        byte[] grey = new byte[8 * 8 * 3];
        Arrays.fill(grey, (byte) 100);
        long minute = Duration.ofMinutes(1).toNanos();
        for (int i = 0; i < REFERENCE + 5; i++) {
            drift.observe("cam-a", "v1", grey, 8, new float[] {0.5f, i % 2}, 0.9f, 0);
        }
        drift.observe("cam-a", "v1", grey, 8, new float[] {Float.NaN, 0}, 0.9f, 0);
        assertEquals(1, registry.get("linesight.drift.frames.skipped").counter().count());
        CameraDrift.Camera a = drift.camera("cam-a");
        assertTrue(Double.isFinite(a.snapshot().score()), "a NaN frame leaves the camera's figures intact: " + a.snapshot());

        for (int i = 0; i < REFERENCE + 5; i++) {
            drift.observe("cam-b", "v1", grey, 8, new float[] {0.5f, i % 2}, 0.9f, 5 * minute);
        }
        drift.observe("cam-c", "v1", grey, 8, new float[2], 0.9f, 5 * minute);
        assertEquals(null, drift.camera("cam-c"), "two cameras watched, neither idle: the third is not");
        drift.observe("cam-c", "v1", grey, 8, new float[2], 0.9f, 11 * minute);
        assertEquals(null, drift.camera("cam-a"), "cam-a, idle for 11 min, made room");
        assertTrue(drift.camera("cam-c") != null);
        assertTrue(registry.find("linesight.drift.score").tag("camera", "cam-a").gauges().isEmpty(), "its gauges went with it");
        assertTrue(Double.isFinite(drift.camera("cam-b").live(15 * minute).score()));
        assertTrue(Double.isNaN(drift.camera("cam-b").live(16 * minute).score()), "a camera silent past idle-after reads NaN");
        drift.observe("cam-b", "v1", grey, 8, new float[] {0.5f, 0}, 0.9f, 20 * minute);
        assertTrue(Double.isNaN(drift.camera("cam-b").live(20 * minute).score()), "back after being idle: a new reference");
    }

    private static DriftConfig config(int maxCameras, Duration idleAfter) {
        return new DriftConfig() {
            @Override
            public int referenceFrames() {
                return REFERENCE;
            }

            @Override
            public int window() {
                return WINDOW;
            }

            @Override
            public int maxCameras() {
                return maxCameras;
            }

            @Override
            public Duration idleAfter() {
                return idleAfter;
            }
        };
    }

    @Test
    void imageHealthSignals() {
        int size = 8;
        byte[] flat = new byte[size * size * 3];
        Arrays.fill(flat, (byte) 200);
        byte[] checkers = new byte[size * size * 3];
        for (int i = 0; i < size * size; i++) {
            byte v = (byte) (((i / size + i % size) % 2) * 255);
            checkers[3 * i] = v;
            checkers[3 * i + 1] = v;
            checkers[3 * i + 2] = v;
        }
        assertEquals(200 / 255.0, CameraDrift.brightness(flat), 1e-6);
        assertEquals(0, CameraDrift.laplacianVariance(flat, size), 1e-9, "a flat frame has no edges");
        assertTrue(CameraDrift.laplacianVariance(checkers, size) > 1e5, "a checkerboard is all edges");
    }
}
