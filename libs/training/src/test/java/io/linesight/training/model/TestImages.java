package io.linesight.training.model;

import java.util.Random;

/** Random RGB batches (NHWC uint8) for model tests. */
public final class TestImages {
    private TestImages() {
    }

    public static byte[] random(int n, int size, long seed) {
        byte[] pixels = new byte[n * size * size * 3];
        new Random(seed).nextBytes(pixels);
        return pixels;
    }
}
