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
 * inferred for it: for the image's health since it first saw the camera, for the model's signals under the serving
 * version (a version is its manifest digest: a reset registry that reuses a number still starts over). Four signals: the version's embedding, the top class's confidence, and two image-health
 * signals of the model's input, brightness (mean luma) and sharpness (log variance of the Laplacian).
 * linesight.drift.signal{camera,signal} is how far the window's mean moved from the reference's, in the reference's
 * standard deviations (for the embedding, the shift's length over the square root of the reference's total variance);
 * linesight.drift.score{camera} is the largest of them. Both are NaN while the references fill and once the camera has
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
        state.add(versionKey, size, x, nowNanos);
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

    /**
     * One camera: two references, each the running moments (Welford) of its first frames, then an exponentially
     * weighted recent mean. The image's health (brightness, sharpness) is the camera's own, so its reference outlives a
     * version change: a lamp that dimmed before a promotion stays flagged after it. The model's signals (confidence,
     * embedding) are the version's, so a new version starts their reference over.
     */
    static final class Camera {
        private final int referenceFrames;
        private final double alpha;
        private final long idleNanos;
        final List<Meter> meters = new ArrayList<>();
        private String versionKey;
        private int inputSize;
        private Reference health;
        private Reference model;
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
         * One frame: brightness, sharpness, confidence, then the embedding, at the version's input size. A new version
         * (or embedding size) starts the model's reference over: its embedding is another space. A new input size starts
         * the image's over (sharpness depends on the resolution). A camera back after being idle starts both: it was
         * elsewhere (another replica) or stopped, and its old figures are stale.
         */
        void add(String frameVersion, int size, double[] x, long nowNanos) {
            boolean wasIdle = health != null && idle(nowNanos);
            lastSeenNanos = nowNanos;
            if (wasIdle || health == null || size != inputSize) {
                inputSize = size;
                health = new Reference(referenceFrames, alpha, 2);
            }
            if (wasIdle || model == null || !frameVersion.equals(versionKey) || model.length() != x.length - 2) {
                versionKey = frameVersion;
                model = new Reference(referenceFrames, alpha, x.length - 2);
            }
            health.add(x, 0);
            model.add(x, 2);
            double[] signals = Snapshot.NONE.signals().clone();
            if (health.ready()) {
                signals[0] = health.shift(0);
                signals[1] = health.shift(1);
            }
            if (model.ready()) {
                signals[2] = model.shift(0);
                signals[3] = model.length() > 1 ? model.shift(1, model.length()) : 0;
            }
            double score = Arrays.stream(signals).filter(v -> !Double.isNaN(v)).max().orElse(Double.NaN);
            snapshot = new Snapshot(score, signals, health.now()[0], health.now()[1]);
        }
    }

    /** A reference of {@code length} values: running moments of its first frames, then a recent mean. */
    static final class Reference {
        private final int frames;
        private final double alpha;
        private int count;
        private final double[] mean;
        private final double[] m2;
        private double[] recent;

        Reference(int frames, double alpha, int length) {
            this.frames = frames;
            this.alpha = alpha;
            this.mean = new double[length];
            this.m2 = new double[length];
        }

        int length() {
            return mean.length;
        }

        boolean ready() {
            return recent != null;
        }

        /** The recent mean, or the reference's while it fills. */
        double[] now() {
            return recent != null ? recent : mean;
        }

        /** Adds x[from, from + length). */
        void add(double[] x, int from) {
            if (count < frames) {
                count++;
                for (int i = 0; i < mean.length; i++) {
                    double delta = x[from + i] - mean[i];
                    mean[i] += delta / count;
                    m2[i] += delta * (x[from + i] - mean[i]);
                }
                if (count == frames) {
                    recent = mean.clone();
                }
            } else {
                for (int i = 0; i < mean.length; i++) {
                    recent[i] += alpha * (x[from + i] - recent[i]);
                }
            }
        }

        /** How far value i's recent mean moved from the reference's, in its standard deviations. */
        double shift(int i) {
            return Math.abs(recent[i] - mean[i]) / Math.max(MIN_SPREAD, Math.sqrt(m2[i] / (count - 1)));
        }

        /** The shift of values [from, to) together: its length over the square root of their total variance. */
        double shift(int from, int to) {
            double shift = 0;
            double variance = 0;
            for (int i = from; i < to; i++) {
                shift += (recent[i] - mean[i]) * (recent[i] - mean[i]);
                variance += m2[i] / (count - 1);
            }
            return Math.sqrt(shift) / Math.max(MIN_SPREAD, Math.sqrt(variance));
        }
    }
}
