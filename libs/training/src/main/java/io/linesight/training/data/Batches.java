package io.linesight.training.data;

import java.util.Arrays;
import java.util.Random;

/**
 * Training batches: class-balanced sampling (each class drawn equally often, as real defect sets are
 * mostly "ok") and augmentation by random crop with zero padding and horizontal flip.
 */
public final class Batches {
    private final ImageSet set;
    private final Random random;
    private final boolean balanced;
    private final double[] cumulative;
    private final int pad;

    public Batches(ImageSet set, int classes, boolean balanced, long seed) {
        this.set = set;
        this.random = new Random(seed);
        this.balanced = balanced;
        this.pad = Math.max(1, set.imageSize() / 8);
        int[] counts = set.classCounts(classes);
        cumulative = new double[set.size()];
        double sum = 0;
        for (int i = 0; i < set.size(); i++) {
            sum += 1.0 / counts[set.label(i)];
            cumulative[i] = sum;
        }
    }

    /** A batch: augmented NHWC pixels and labels. */
    public record Batch(byte[] pixels, int[] labels) {
    }

    public Batch next(int batchSize) {
        int size = set.imageSize();
        int bytes = size * size * 3;
        byte[] pixels = new byte[batchSize * bytes];
        int[] labels = new int[batchSize];
        for (int b = 0; b < batchSize; b++) {
            int index = balanced ? balancedIndex() : random.nextInt(set.size());
            labels[b] = set.label(index);
            cropAndFlip(set.pixels(index), pixels, b * bytes, size);
        }
        return new Batch(pixels, labels);
    }

    private int balancedIndex() {
        double target = random.nextDouble() * cumulative[cumulative.length - 1];
        int found = Arrays.binarySearch(cumulative, target);
        return Math.min(found >= 0 ? found : -found - 1, cumulative.length - 1);
    }

    /** Shifts the image by up to {@code pad} pixels each way (zero fill) and flips it half the time. */
    private void cropAndFlip(byte[] source, byte[] target, int offset, int size) {
        int dy = random.nextInt(2 * pad + 1) - pad;
        int dx = random.nextInt(2 * pad + 1) - pad;
        boolean flip = random.nextBoolean();
        for (int y = 0; y < size; y++) {
            int sy = y + dy;
            for (int x = 0; x < size; x++) {
                int sx = (flip ? size - 1 - x : x) + dx;
                int out = offset + (y * size + x) * 3;
                if (sy < 0 || sy >= size || sx < 0 || sx >= size) {
                    target[out] = 0;
                    target[out + 1] = 0;
                    target[out + 2] = 0;
                } else {
                    System.arraycopy(source, (sy * size + sx) * 3, target, out, 3);
                }
            }
        }
    }
}
