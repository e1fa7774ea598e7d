package io.linesight.training;

import java.io.PrintStream;

/**
 * A progress bar on stderr: redrawn in place on a terminal, a line per 10 % elsewhere (CI logs), with a
 * rate and an ETA.
 */
public final class Progress {
    private static final PrintStream OUT = System.err;
    private static final boolean TERMINAL = System.console() != null;

    private final String label;
    private final long total;
    private final long start = System.nanoTime();
    private long done;
    private long lastDecile = -1;
    private long lastDraw;

    public Progress(String label, long total) {
        this.label = label;
        this.total = Math.max(1, total);
    }

    public void step(long count) {
        done += count;
        long now = System.nanoTime();
        long decile = done * 10 / total;
        if (TERMINAL ? now - lastDraw > 200_000_000L : decile != lastDecile) {
            lastDraw = now;
            lastDecile = decile;
            draw(TERMINAL ? "\r" : "", TERMINAL ? "" : "\n");
        }
    }

    public void done() {
        if (TERMINAL) {
            draw("\r", "\n");
        } else if (lastDecile != done * 10 / total) {
            draw("", "\n");
        }
    }

    private void draw(String prefix, String suffix) {
        double seconds = (System.nanoTime() - start) / 1e9;
        double rate = done / Math.max(seconds, 1e-9);
        long eta = rate > 0 ? (long) ((total - done) / rate) : 0;
        int filled = (int) (30 * done / total);
        OUT.print(prefix + String.format("%-24s [%s%s] %3d%% %d/%d  %.1f/s  eta %s%s", label, "#".repeat(filled),
                "-".repeat(30 - filled), 100 * done / total, done, total, rate, duration(eta), suffix));
        OUT.flush();
    }

    public static String duration(long seconds) {
        return seconds >= 3600 ? String.format("%d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
                : String.format("%d:%02d", seconds / 60, seconds % 60);
    }
}
