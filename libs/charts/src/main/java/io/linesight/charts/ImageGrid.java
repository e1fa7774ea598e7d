package io.linesight.charts;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/** A PNG grid of small images with a caption under each (filters, misclassified examples). */
public final class ImageGrid {
    /** One cell: the image (scaled to the cell) and its caption. */
    public record Tile(BufferedImage image, String caption) {
    }

    private static final int CAPTION_HEIGHT = 16;
    private static final int GAP = 4;

    private ImageGrid() {
    }

    public static void write(Path file, List<Tile> tiles, int cellSize, int columns) throws IOException {
        int shown = Math.max(1, tiles.size());
        int cols = Math.min(columns, shown);
        int rows = (shown + cols - 1) / cols;
        boolean captions = tiles.stream().anyMatch(t -> t.caption() != null && !t.caption().isEmpty());
        int cellHeight = cellSize + (captions ? CAPTION_HEIGHT : 0);
        BufferedImage grid = new BufferedImage(cols * (cellSize + GAP) + GAP, rows * (cellHeight + GAP) + GAP,
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = grid.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, grid.getWidth(), grid.getHeight());
            // Nearest neighbour keeps 3x3 and 7x7 filters readable as blocks.
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            for (int i = 0; i < tiles.size(); i++) {
                int x = GAP + (i % cols) * (cellSize + GAP);
                int y = GAP + (i / cols) * (cellHeight + GAP);
                g.drawImage(tiles.get(i).image(), x, y, cellSize, cellSize, null);
                if (captions && tiles.get(i).caption() != null) {
                    g.setColor(Color.DARK_GRAY);
                    g.drawString(fit(g, tiles.get(i).caption(), cellSize), x, y + cellSize + CAPTION_HEIGHT - 4);
                }
            }
        } finally {
            g.dispose();
        }
        ImageIO.write(grid, "png", file.toFile());
    }

    private static String fit(Graphics2D g, String text, int width) {
        String shown = text;
        while (shown.length() > 1 && g.getFontMetrics().stringWidth(shown) > width) {
            shown = shown.substring(0, shown.length() - 2) + "…";
        }
        return shown;
    }
}
