package io.linesight.training.data;

import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Training batches: class-balanced sampling (each class drawn equally often, as real defect sets are
 * mostly "ok"), each image varied by an Augmentation.
 */
public final class Batches {
    private final ImageSet set;
    private final Random random;
    private final boolean balanced;
    private final double[] cumulative;
    private final Augmentation augmentation;

    public Batches(ImageSet set, int classes, boolean balanced, Augmentation augmentation, long seed) {
        this.set = set;
        this.random = new Random(seed);
        this.balanced = balanced;
        this.augmentation = augmentation;
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
        int[] indices = new int[batchSize];
        for (int b = 0; b < batchSize; b++) {
            indices[b] = balanced ? balancedIndex() : random.nextInt(set.size());
            labels[b] = set.label(indices[b]);
        }
        List<byte[]> images = set.pixels(indices);
        for (int b = 0; b < batchSize; b++) {
            augmentation.apply(images.get(b), pixels, b * bytes, size, random);
        }
        return new Batch(pixels, labels);
    }

    private int balancedIndex() {
        double target = random.nextDouble() * cumulative[cumulative.length - 1];
        int found = Arrays.binarySearch(cumulative, target);
        return Math.min(found >= 0 ? found : -found - 1, cumulative.length - 1);
    }
}
