package io.linesight.training.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AugmentationTest {
    private static final int SIZE = 16;

    @Test
    void geometricKindsMoveSourcePixelsAndInventNone() {
        byte[] source = new byte[SIZE * SIZE * 3];
        Set<Integer> values = new HashSet<>();
        for (int i = 0; i < SIZE * SIZE; i++) {
            for (int c = 0; c < 3; c++) {
                source[i * 3 + c] = (byte) (1 + i % 250);
            }
            values.add(1 + i % 250);
        }
        Random random = new Random(3);
        Set<Integer> cornerValues = new HashSet<>();
        for (int draw = 0; draw < 200; draw++) {
            byte[] out = new byte[source.length];
            Augmentation.DIHEDRAL.apply(source, out, 0, SIZE, random);
            for (byte b : out) {
                assertTrue(b == 0 || values.contains(b & 0xff), "only source pixels or the zero fill");
            }
            // The top-right source corner (value 16) lands in the top-left quadrant only by a flip or a turn.
            int topLeft = out[(2 * SIZE + 2) * 3] & 0xff;
            cornerValues.add(topLeft);
        }
        assertTrue(cornerValues.stream().anyMatch(v -> v >= 1 + SIZE * (SIZE - 3)), "a vertical flip or turn brings bottom rows up");
    }

    @Test
    void surfaceJittersLevelsTheOthersKeepThem() {
        byte[] grey = new byte[SIZE * SIZE * 3];
        Arrays.fill(grey, (byte) 100);
        Random random = new Random(5);
        Set<Integer> surface = new HashSet<>();
        for (int draw = 0; draw < 20; draw++) {
            byte[] out = new byte[grey.length];
            Augmentation.SURFACE.apply(grey, out, 0, SIZE, random);
            surface.add(out[(SIZE / 2 * SIZE + SIZE / 2) * 3] & 0xff);
            byte[] kept = new byte[grey.length];
            Augmentation.DIHEDRAL.apply(grey, kept, 0, SIZE, random);
            assertEquals(100, kept[(SIZE / 2 * SIZE + SIZE / 2) * 3] & 0xff);
        }
        assertTrue(surface.size() > 5, "brightness and contrast vary: " + surface);
    }
}
