package io.linesight.common;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ActivationMapsTest {
    @Test
    void peakIs255AndEvidenceAgainstTheClassIsZero() {
        float[] values = {99f, -3f, 0f, 1f, 4f, Float.NaN, 2f};
        assertArrayEquals(new byte[] {0, 0, 64, (byte) 255, 0, (byte) 128}, ActivationMaps.quantise(values, 1, 6));
    }

    @Test
    void aMapWithoutPositiveCellsIsAllZero() {
        assertArrayEquals(new byte[3], ActivationMaps.quantise(new float[] {-1f, -0.5f, 0f}, 0, 3));
    }

    @Test
    void recordsMustStateTheSizeOfTheirCells() {
        assertTrue(ActivationMaps.wellFormed(7, 7, 49));
        assertFalse(ActivationMaps.wellFormed(3, 3, 4));
        assertFalse(ActivationMaps.wellFormed(-7, -7, 49), "uint32 sizes above 2^31 arrive negative");
        assertFalse(ActivationMaps.wellFormed(0, 0, 0));
        assertFalse(ActivationMaps.wellFormed(65, 65, 65 * 65));
    }
}
