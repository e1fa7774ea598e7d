package io.linesight.training.data;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * How training images are varied, applied per image in Batches. Every kind shifts the image by up to an eighth of its
 * size (zero fill) and mirrors it left-right; {@code DIHEDRAL} adds the other flips and quarter turns (a surface
 * defect has no up or down); {@code SURFACE} adds brightness and contrast jitter too (lamps age, parts reflect
 * differently), which hurts where brightness tells classes apart (X-SDD's oxide scales).
 */
public enum Augmentation {
    SHIFT_FLIP(false, 0),
    DIHEDRAL(true, 0),
    SURFACE(true, 0.2);

    private final boolean dihedral;
    private final double jitter;

    Augmentation(boolean dihedral, double jitter) {
        this.dihedral = dihedral;
        this.jitter = jitter;
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static Augmentation fromCli(String name) {
        return Arrays.stream(values()).filter(a -> a.cliName().equals(name)).findFirst().orElseThrow(() ->
                new IllegalArgumentException("augmentation must be one of " + Arrays.stream(values()).map(Augmentation::cliName).toList()
                        + ", got " + name));
    }

    /** Writes one augmented copy of the square RGB {@code source} into {@code target} at {@code offset}. */
    void apply(byte[] source, byte[] target, int offset, int size, Random random) {
        int pad = Math.max(1, size / 8);
        int dy = random.nextInt(2 * pad + 1) - pad;
        int dx = random.nextInt(2 * pad + 1) - pad;
        boolean flipX = random.nextBoolean();
        boolean flipY = dihedral && random.nextBoolean();
        boolean transpose = dihedral && random.nextBoolean();
        byte[] levels = levels(random);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                int u = transpose ? x : y;
                int v = transpose ? y : x;
                int sy = (flipY ? size - 1 - u : u) + dy;
                int sx = (flipX ? size - 1 - v : v) + dx;
                int out = offset + (y * size + x) * 3;
                if (sy < 0 || sy >= size || sx < 0 || sx >= size) {
                    target[out] = 0;
                    target[out + 1] = 0;
                    target[out + 2] = 0;
                } else {
                    int in = (sy * size + sx) * 3;
                    target[out] = levels[source[in] & 0xff];
                    target[out + 1] = levels[source[in + 1] & 0xff];
                    target[out + 2] = levels[source[in + 2] & 0xff];
                }
            }
        }
    }

    /** A grey-level map: contrast around mid-grey and brightness, each within the jitter (identity without). */
    private byte[] levels(Random random) {
        double contrast = 1 + jitter * (2 * random.nextDouble() - 1);
        double brightness = 255 * jitter / 2 * (2 * random.nextDouble() - 1);
        byte[] map = new byte[256];
        for (int level = 0; level < 256; level++) {
            long value = Math.round((level - 127.5) * contrast + 127.5 + brightness);
            map[level] = (byte) Math.max(0, Math.min(255, value));
        }
        return map;
    }
}
