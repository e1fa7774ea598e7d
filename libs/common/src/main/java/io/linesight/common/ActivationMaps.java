package io.linesight.common;

/** 8-bit class activation maps: where a model's answer rests, small enough to ride on every prediction. */
public final class ActivationMaps {
    /** Larger maps than this per side are refused from records: 64 x 64 is an input of 2048 (imagenet stem). */
    public static final int MAX_SIDE = 64;

    private ActivationMaps() {
    }

    /**
     * {@code cells} values from {@code from} scaled to 0..255: 255 at the map's peak, 0 at or below zero (evidence
     * against the class) and for NaN. A map with no positive cell is all zeros.
     */
    public static byte[] quantise(float[] values, int from, int cells) {
        float peak = 0;
        for (int i = from; i < from + cells; i++) {
            if (values[i] > peak) {
                peak = values[i];
            }
        }
        byte[] out = new byte[cells];
        if (peak > 0) {
            for (int i = 0; i < cells; i++) {
                float v = values[from + i];
                out[i] = v > 0 ? (byte) Math.round(v / peak * 255) : 0;
            }
        }
        return out;
    }

    /** Whether a map's stated size fits its cells and the bound: a record from elsewhere is checked before use. */
    public static boolean wellFormed(int width, int height, int cells) {
        return width > 0 && height > 0 && width <= MAX_SIDE && height <= MAX_SIDE && width * height == cells;
    }
}
