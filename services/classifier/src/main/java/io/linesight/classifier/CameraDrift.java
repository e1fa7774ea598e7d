package io.linesight.classifier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * Drift per camera, on the frames inferred from linesight.frames (cached answers repeat an image already seen): each
 * camera's recent window against its own reference, the first linesight.drift.reference-frames frames this replica
 * inferred for it under the serving version (a version is its manifest digest: a reset registry that reuses a number
 * still starts over). Four signals: the version's embedding, the top class's confidence, and two image-health
 * signals of the model's input, brightness (mean luma) and sharpness (log variance of the Laplacian).
 * linesight.drift.signal{camera,signal} is how far the window's mean moved from the reference's, in the reference's
 * standard deviations (for the embedding, the shift's length over the square root of the reference's total variance);
 * linesight.drift.score{camera} is the largest of them. Both are NaN while the reference fills and once the camera has
 * sent nothing here for linesight.drift.idle-after (it moved to another replica, or went quiet), so a stale figure
 * cannot outlast the alert's delay; a camera back after that starts a new reference. Cache hits count as frames
 * sent, without figures. Frames with a non-finite value are skipped and counted. Written by the inference thread only; the
 * gauges read an immutable snapshot.
 */
@ApplicationScoped
public class CameraDrift {
    private static final Logger LOG = Logger.getLogger(CameraDrift.class);
    static final String[] SIGNALS = {"brightness", "sharpness", "confidence", "embedding"};
    /** A reference that never varied (the same frame again and again) still has a scale. */
    private static final double MIN_SPREAD = 1e-3;

    private final MeterRegistry registry;
    private final DriftConfig config;
    private final long idleNanos;
    private final Map<String, Camera> cameras = new ConcurrentHashMap<>();
    private final Counter skipped;
    private final Counter unwatched;
    private final Counter failed;
    /** When the map was last scanned for idle cameras, so a full map costs one scan a second, not one a frame. */
    private long lastEvictionScanNanos;
    private boolean full;

    CameraDrift(MeterRegistry registry, DriftConfig config) {
        if (config.referenceFrames() < 2 || config.window() < 1 || config.maxCameras() < 1) {
            throw new IllegalArgumentException("linesight.drift.reference-frames must be at least 2, linesight.drift.window and"
                    + " linesight.drift.max-cameras at least 1");
        }
        this.registry = registry;
        this.config = config;
        this.idleNanos = config.idleAfter().toNanos();
        this.skipped = Counter.builder("linesight.drift.frames.skipped").description("Frames drift skipped: a non-finite model output")
                .register(registry);
        this.unwatched = Counter.builder("linesight.drift.frames.unwatched")
                .description("Frames of cameras beyond linesight.drift.max-cameras, not watched").register(registry);
        this.failed = Counter.builder("linesight.drift.failures").description("Frames drift could not observe (an error, logged)")
                .register(registry);
    }

    /** observe(), never throwing into the inference loop: a drift failure must not cost a prediction. */
    void observeSafely(String camera, String versionKey, byte[] rgb, int size, float[] embedding, float confidence) {
        try {
            observe(camera, versionKey, rgb, size, embedding, confidence, System.nanoTime());
        } catch (RuntimeException e) {
            if (failed.count() == 0) {
                LOG.errorf(e, "Drift could not observe a frame of camera %s (counted in linesight_drift_failures_total)", camera);
            }
            failed.increment();
        }
    }

    /** One inferred frame: its RGB input (size x size), the serving version's key, its embedding and top probability. */
    void observe(String camera, String versionKey, byte[] rgb, int size, float[] embedding, float confidence, long nowNanos) {
        double[] x = new double[3 + embedding.length];
        x[0] = brightness(rgb);
        x[1] = Math.log1p(laplacianVariance(rgb, size));
        x[2] = confidence;
        for (int i = 0; i < embedding.length; i++) {
            x[3 + i] = embedding[i];
        }
        if (!Arrays.stream(x).allMatch(Double::isFinite)) {
            skipped.increment();
            return;
        }
        Camera state = cameras.get(camera);
        if (state == null) {
            if (cameras.size() >= config.maxCameras() && !evictIdle(nowNanos)) {
                unwatched.increment();
                return;
            }
            state = cameras.computeIfAbsent(camera, this::register);
        }
        state.add(versionKey, x, nowNanos);
    }

    /** The camera's state, null when it is not watched. */
    Camera camera(String camera) {
        return cameras.get(camera);
    }

    /** A frame of this camera answered from the cache: no new figures, but the camera is not idle. */
    void seen(String camera, long nowNanos) {
        Camera state = cameras.get(camera);
        if (state != null) {
            state.seen(nowNanos);
        }
    }

    /** Forgets the cameras idle past linesight.drift.idle-after, gauges included (at most one scan a second); whether room was made. */
    private boolean evictIdle(long nowNanos) {
        if (full && nowNanos - lastEvictionScanNanos < 1_000_000_000L) {
            return false;
        }
        lastEvictionScanNanos = nowNanos;
        cameras.entrySet().removeIf(e -> {
            boolean idle = e.getValue().idle(nowNanos);
            if (idle) {
                e.getValue().meters.forEach(registry::remove);
            }
            return idle;
        });
        boolean room = cameras.size() < config.maxCameras();
        if (!room && !full) {
            LOG.warnf("Drift: %d cameras sent frames within linesight.drift.idle-after (%s) (linesight.drift.max-cameras): newer ones are"
                    + " not watched until one goes idle (linesight_drift_frames_unwatched_total)", config.maxCameras(), config.idleAfter());
        }
        full = !room;
        return room;
    }

    private Camera register(String camera) {
        Camera state = new Camera(config.referenceFrames(), 2.0 / (config.window() + 1), idleNanos);
        List<Meter> meters = state.meters;
        meters.add(Gauge.builder("linesight.drift.score", state, c -> c.live(System.nanoTime()).score()).tag("camera", camera)
                .description("Largest drift signal of the camera (reference standard deviations); NaN while its reference fills or it is idle")
                .register(registry));
        for (int s = 0; s < SIGNALS.length; s++) {
            int signal = s;
            meters.add(Gauge.builder("linesight.drift.signal", state, c -> c.live(System.nanoTime()).signals()[signal]).tag("camera", camera)
                    .tag("signal", SIGNALS[s])
                    .description("How far the camera's recent mean moved from its reference, in reference standard deviations")
                    .register(registry));
        }
        meters.add(Gauge.builder("linesight.camera.brightness", state, c -> c.live(System.nanoTime()).brightness()).tag("camera", camera)
                .description("Mean luma of the camera's recent frames as the model sees them, 0-1").register(registry));
        meters.add(Gauge.builder("linesight.camera.sharpness", state, c -> c.live(System.nanoTime()).sharpness()).tag("camera", camera)
                .description("log(1 + variance of the Laplacian) of the camera's recent frames; falls when they blur").register(registry));
        return state;
    }

    static double brightness(byte[] rgb) {
        double sum = 0;
        for (int i = 0; i < rgb.length; i += 3) {
            sum += luma(rgb, i);
        }
        return sum / (rgb.length / 3) / 255;
    }

    /** Variance of the 4-neighbour Laplacian of the luma over the inner pixels: high for sharp edges, low when blurred. */
    static double laplacianVariance(byte[] rgb, int size) {
        double sum = 0;
        double squares = 0;
        int n = 0;
        for (int y = 1; y < size - 1; y++) {
            for (int x = 1; x < size - 1; x++) {
                int at = 3 * (y * size + x);
                double lap = luma(rgb, at - 3) + luma(rgb, at + 3) + luma(rgb, at - 3 * size) + luma(rgb, at + 3 * size) - 4 * luma(rgb, at);
                sum += lap;
                squares += lap * lap;
                n++;
            }
        }
        return n == 0 ? 0 : Math.max(0, squares / n - (sum / n) * (sum / n));
    }

    private static double luma(byte[] rgb, int at) {
        return 0.299 * (rgb[at] & 0xff) + 0.587 * (rgb[at + 1] & 0xff) + 0.114 * (rgb[at + 2] & 0xff);
    }

    /** What the gauges read: one frame's figures together. */
    record Snapshot(double score, double[] signals, double brightness, double sharpness) {
        static final Snapshot NONE = new Snapshot(Double.NaN, nan(SIGNALS.length), Double.NaN, Double.NaN);

        private static double[] nan(int n) {
            double[] values = new double[n];
            Arrays.fill(values, Double.NaN);
            return values;
        }
    }

    /** One camera: the reference's running moments (Welford), then an exponentially weighted recent mean. */
    static final class Camera {
        private final int referenceFrames;
        private final double alpha;
        private final long idleNanos;
        final List<Meter> meters = new ArrayList<>();
        private String versionKey;
        private int count;
        private double[] mean;
        private double[] m2;
        private double[] recent;
        private volatile Snapshot snapshot = Snapshot.NONE;
        private volatile long lastSeenNanos;

        Camera(int referenceFrames, double alpha, long idleNanos) {
            this.referenceFrames = referenceFrames;
            this.alpha = alpha;
            this.idleNanos = idleNanos;
        }

        boolean idle(long nowNanos) {
            return nowNanos - lastSeenNanos > idleNanos;
        }

        void seen(long nowNanos) {
            lastSeenNanos = nowNanos;
        }

        /** The last figures, or none once the camera is idle. */
        Snapshot live(long nowNanos) {
            return idle(nowNanos) ? Snapshot.NONE : snapshot;
        }

        Snapshot snapshot() {
            return snapshot;
        }

        /**
         * A new version (or embedding size) starts a new reference: its embedding is another space. So does a camera
         * back after being idle: it was elsewhere (another replica) or stopped, and its old figures are stale.
         */
        void add(String frameVersion, double[] x, long nowNanos) {
            boolean wasIdle = mean != null && idle(nowNanos);
            lastSeenNanos = nowNanos;
            if (wasIdle || !frameVersion.equals(versionKey) || mean == null || mean.length != x.length) {
                versionKey = frameVersion;
                count = 0;
                mean = new double[x.length];
                m2 = new double[x.length];
                recent = null;
            }
            if (count < referenceFrames) {
                count++;
                for (int i = 0; i < x.length; i++) {
                    double delta = x[i] - mean[i];
                    mean[i] += delta / count;
                    m2[i] += delta * (x[i] - mean[i]);
                }
                if (count == referenceFrames) {
                    recent = mean.clone();
                }
            } else {
                for (int i = 0; i < x.length; i++) {
                    recent[i] += alpha * (x[i] - recent[i]);
                }
            }
            double[] now = recent != null ? recent : mean;
            if (recent == null) {
                snapshot = new Snapshot(Double.NaN, Snapshot.NONE.signals(), now[0], now[1]);
                return;
            }
            double[] signals = new double[SIGNALS.length];
            double worst = 0;
            for (int s = 0; s < 3; s++) {
                signals[s] = Math.abs(recent[s] - mean[s]) / Math.max(MIN_SPREAD, Math.sqrt(m2[s] / (count - 1)));
                worst = Math.max(worst, signals[s]);
            }
            double shift = 0;
            double variance = 0;
            for (int i = 3; i < x.length; i++) {
                shift += (recent[i] - mean[i]) * (recent[i] - mean[i]);
                variance += m2[i] / (count - 1);
            }
            signals[3] = x.length > 3 ? Math.sqrt(shift) / Math.max(MIN_SPREAD, Math.sqrt(variance)) : 0;
            snapshot = new Snapshot(Math.max(worst, signals[3]), signals, now[0], now[1]);
        }
    }
}
