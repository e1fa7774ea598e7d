package io.linesight.charts;

import java.awt.AlphaComposite;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/**
 * An 8-bit activation map drawn over the image it explains, in the review page's colours: yellow to red with rising
 * evidence, alpha 0.6 at the peak cell (255), transparent at 0. The grid covers the whole image.
 */
public final class Heatmaps {
    public static final double OPACITY = 0.6;

    private Heatmaps() {
    }

    /** A copy of {@code image} with the width x height row-major cells scaled smoothly over it. */
    public static BufferedImage overlay(BufferedImage image, byte[] cells, int width, int height) {
        if (cells.length != width * height) {
            throw new IllegalArgumentException(cells.length + " cells for a " + width + " x " + height + " map");
        }
        BufferedImage map = new BufferedImage(width, height, BufferedImage.TYPE_INT_ARGB);
        for (int i = 0; i < cells.length; i++) {
            int cell = cells[i] & 0xff;
            int alpha = (int) Math.round(cell * OPACITY);
            map.setRGB(i % width, i / width, alpha << 24 | 0xff << 16 | (255 - cell) << 8);
        }
        BufferedImage out = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.drawImage(image, 0, 0, null);
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setComposite(AlphaComposite.SrcOver);
            g.drawImage(map, 0, 0, image.getWidth(), image.getHeight(), null);
        } finally {
            g.dispose();
        }
        return out;
    }
}
