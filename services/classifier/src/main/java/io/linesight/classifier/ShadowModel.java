package io.linesight.classifier;

import ai.djl.translate.TranslateException;
import io.linesight.proto.ClassScore;
import io.linesight.proto.ModelVersion;
import io.linesight.proto.Prediction;
import io.linesight.service.Relay;
import io.linesight.service.ShadowPointerChanged;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

/**
 * The shadow candidate (SHADOW on linesight.model-versions) beside the serving version: it answers
 * every audit frame (only they earn the AUDIT labels that judge it) and linesight.classifier.shadow-share of the
 * others (chosen by frame id), those the serving version inferred and its cache hits alike, and writes those answers to linesight.predictions.shadow,
 * where the trainer scores them. Its own thread does the work from a bounded queue: a frame's commit never waits for
 * it, and a full queue drops shadow work (counted) rather than queue behind the line. It shares the cores with the
 * serving version, so while the serving version has a batch waiting it answers only the audit frames
 * (the others counted as shed): spare capacity goes to the share, never the line's. An image it already answered is
 * answered from memory.
 * Verified and loaded like a serving version (ModelManager.load), on the loader thread of its own.
 */
@ApplicationScoped
public class ShadowModel {
    private static final Logger LOG = Logger.getLogger(ShadowModel.class);
    /** Shadow answers remembered per image, so repeated images (cache hits) cost no second model call. */
    private static final int REMEMBERED_IMAGES = 8192;
    /** Frames per shadow model call: the serving side's backlog is checked between calls. */
    private static final int PIECE = 4;

    /** Frames for the shadow: with pixels at the serving input size (inferred), or without (cache hits). */
    private record Work(List<PendingFrame> frames, List<byte[]> pixels) {
        Work slice(int from, int to) {
            return new Work(frames.subList(from, to), pixels == null ? null : pixels.subList(from, to));
        }

        /** The audit frames of this work, with their pixels. */
        Work auditOnly() {
            List<PendingFrame> audits = new ArrayList<>();
            List<byte[]> auditPixels = pixels == null ? null : new ArrayList<>();
            for (int i = 0; i < frames.size(); i++) {
                if (frames.get(i).frame().getAudit()) {
                    audits.add(frames.get(i));
                    if (auditPixels != null) {
                        auditPixels.add(pixels.get(i));
                    }
                }
            }
            return new Work(audits, auditPixels);
        }
    }

    /** The loaded shadow version and its answers by image sha256. */
    private record Shadow(ServingModel model, Map<String, List<ClassScore>> answers) {
    }

    private final ModelManager models;
    private final FramePreparation preparation;
    private final Emitter<Prediction> shadowPredictions;
    private final double share;
    private final int topK;
    private final AtomicReference<Shadow> current = new AtomicReference<>();
    private final ScheduledExecutorService loader = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "shadow-loader"));
    /** The newest shadow pointer announced (null once ended): a retry of an older one gives up. */
    private final AtomicReference<ModelVersion> wanted = new AtomicReference<>();
    private final long fetchRetryMaxMs;
    /** Pieces queued: up to 256 frames. */
    private final BlockingQueue<Work> work = new ArrayBlockingQueue<>(64);
    private final Thread worker = new Thread(this::work, "shadow");
    private final Timer inference;
    private final Counter answered;
    private final Counter dropped;
    private final Counter shed;
    /** Whether the serving version has a full batch of frames waiting (FrameBatcher). */
    private volatile BooleanSupplier servingBehind = () -> false;
    private final MeterRegistry registry;

    ShadowModel(ModelManager models, FramePreparation preparation, ClassifierConfig config, MeterRegistry registry,
            @Channel("predictions-shadow") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096) Emitter<Prediction> shadowPredictions) {
        if (!(config.shadowShare() >= 0 && config.shadowShare() <= 1)) {
            throw new IllegalArgumentException("linesight.classifier.shadow-share must be between 0 and 1, got " + config.shadowShare());
        }
        this.models = models;
        this.preparation = preparation;
        this.shadowPredictions = shadowPredictions;
        this.share = config.shadowShare();
        this.topK = config.topK();
        this.fetchRetryMaxMs = config.fetchRetryMax().toMillis();
        this.registry = registry;
        this.inference = ClassifierMetrics.timer(registry, "linesight.classifier.shadow.inference",
                "Shadow candidate's model call (at most 4 frames): the cost of shadowing");
        this.answered = Counter.builder("linesight.classifier.shadow.frames").description("Frames the shadow candidate answered")
                .register(registry);
        this.dropped = Counter.builder("linesight.classifier.shadow.frames.dropped").tag("reason", "queue-full")
                .description("Frames left unshadowed: the shadow fell behind (queue-full), or the serving version had a batch waiting"
                        + " (serving-busy: audit frames are never shed)").register(registry);
        this.shed = Counter.builder("linesight.classifier.shadow.frames.dropped").tag("reason", "serving-busy")
                .description("Frames left unshadowed: the shadow fell behind (queue-full), or the serving version had a batch waiting"
                        + " (serving-busy: audit frames are never shed)").register(registry);
        Gauge.builder("linesight.classifier.shadow.version", current, c -> c.get() == null ? 0 : c.get().model().version().getVersion())
                .description("Shadow candidate running beside the serving version (0 = none)").register(registry);
    }

    void start(@Observes StartupEvent event) {
        worker.setDaemon(true);
        worker.start();
    }

    void onShadow(@Observes ShadowPointerChanged changed) {
        wanted.set(changed.pointer());
        loader.execute(() -> load(changed.pointer(), changed.version(), 0));
    }

    private void load(ModelVersion pointer, int version, int retry) {
        if (pointer != null && wanted.get() != pointer) {
            return; // a newer shadow, or the end of this one, came meanwhile
        }
        Shadow running = current.get();
        if (pointer == null) {
            if (running != null && running.model().version().getVersion() == version && current.compareAndSet(running, null)) {
                running.model().retire();
                LOG.infof("Shadow version %d ended", version);
            }
            return;
        }
        if (running != null && running.model().version().getVersion() == pointer.getVersion()
                && running.model().version().getFilesList().equals(pointer.getFilesList())) {
            return;
        }
        if (running != null && current.compareAndSet(running, null)) {
            running.model().retire(); // whether or not the new one loads: the old one no longer is the shadow
        }
        long start = System.nanoTime();
        try {
            Shadow loaded = new Shadow(models.load(pointer), Collections.synchronizedMap(new LinkedHashMap<>(256, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, List<ClassScore>> eldest) {
                    return size() > REMEMBERED_IMAGES;
                }
            }));
            current.set(loaded);
            LOG.infof("Shadowing %s version %d on the audit frames and %.0f %% of the others after %d ms", pointer.getModelName(), pointer.getVersion(),
                    100 * share, (System.nanoTime() - start) / 1_000_000);
        } catch (ModelRejectedException e) {
            if (e.reason().equals("unavailable") && wanted.get() == pointer) {
                // The registry is down for a moment: back off like the serving version's fetch (ModelManager).
                long delayMs = Math.min(fetchRetryMaxMs, 1000L << Math.min(retry, 20));
                LOG.warnf("Cannot fetch shadow version %d yet (%s); retrying in %d ms", pointer.getVersion(), e.getMessage(), delayMs);
                loader.schedule(() -> load(pointer, version, retry + 1), delayMs, TimeUnit.MILLISECONDS);
                return;
            }
            Counter.builder("linesight.classifier.shadow.refused").tag("reason", e.reason()).description("Shadow versions refused")
                    .register(registry).increment();
            LOG.errorf("Refusing shadow version %d (%s): %s", pointer.getVersion(), e.reason(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.errorf(e, "Shadow version %d failed to load; the serving version is unaffected", pointer.getVersion());
        }
    }

    /** Hands the shadow this batch's share of inferred frames, with their pixels at the serving input size. */
    void offerInferred(List<PreparedFrame> inferred, List<byte[]> servingPixels) {
        if (current.get() == null) {
            return;
        }
        List<PendingFrame> frames = new ArrayList<>();
        List<byte[]> pixels = new ArrayList<>();
        for (int i = 0; i < inferred.size(); i++) {
            if (chosen(inferred.get(i).pending())) {
                frames.add(inferred.get(i).pending());
                pixels.add(servingPixels.get(i));
            }
        }
        offer(new Work(frames, pixels));
    }

    /** Hands the shadow its share of frames the cache answered for the serving version. */
    void offerCacheHits(List<PendingFrame> hits) {
        if (current.get() != null) {
            offer(new Work(hits.stream().filter(this::chosen).toList(), null));
        }
    }

    /**
     * Queues the work in pieces of at most PIECE frames: the serving side's backlog is checked before each, so a
     * shadow call holds the cores for a few frames' time at most once the line needs them.
     */
    private void offer(Work item) {
        for (int from = 0; from < item.frames().size(); from += PIECE) {
            Work piece = item.slice(from, Math.min(item.frames().size(), from + PIECE));
            if (!work.offer(piece)) {
                // Full: the audit frames, the only ones that judge it, still get in if the worker made room meanwhile.
                Work audits = piece.auditOnly();
                boolean auditsQueued = !audits.frames().isEmpty() && work.offer(audits);
                dropped.increment(piece.frames().size() - (auditsQueued ? audits.frames().size() : 0));
            }
        }
    }

    /** The serving side's backlog signal: while it is true, only audit frames are shadowed. */
    void yieldWhile(BooleanSupplier behind) {
        this.servingBehind = behind;
    }

    private void work() {
        while (true) {
            Work item;
            try {
                item = work.take();
            } catch (InterruptedException e) {
                return;
            }
            Shadow shadow = current.get();
            if (shadow == null || !shadow.model().tryAcquire()) {
                continue; // it ended or is being swapped: its work goes with it
            }
            if (servingBehind.getAsBoolean()) {
                Work audits = item.auditOnly();
                shed.increment(item.frames().size() - audits.frames().size());
                item = audits;
            }
            try {
                answer(shadow, item);
            } catch (Exception | Error e) { // nothing may end this thread: later work would only be counted as dropped
                LOG.errorf(e, "Shadow version %d failed on a batch; the serving answers are unaffected", shadow.model().version().getVersion());
            } finally {
                shadow.model().release();
            }
        }
    }

    private void answer(Shadow shadow, Work item) throws TranslateException {
        ModelVersion version = shadow.model().version();
        int size = version.getInputSize();
        List<PendingFrame> toInfer = new ArrayList<>();
        List<byte[]> pixels = new ArrayList<>();
        for (int i = 0; i < item.frames().size(); i++) {
            PendingFrame pending = item.frames().get(i);
            List<ClassScore> known = shadow.answers().get(pending.imageSha256());
            if (known != null) {
                publish(version, pending, known);
                continue;
            }
            byte[] rgb = item.pixels() == null ? null : item.pixels().get(i);
            if (rgb == null || rgb.length != 3 * size * size) {
                rgb = preparation.decode(pending, size).rgb();
            }
            if (rgb != null) { // null: undecodable, and the serving side dead-lettered or answered it already
                toInfer.add(pending);
                pixels.add(rgb);
            }
        }
        if (toInfer.isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        List<ModelAnswer> answers = shadow.model().predict(pixels);
        inference.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        for (int i = 0; i < toInfer.size(); i++) {
            List<ClassScore> scores = TopK.of(answers.get(i).probabilities(), version.getClassesList(), topK);
            shadow.answers().put(toInfer.get(i).imageSha256(), scores);
            publish(version, toInfer.get(i), scores);
        }
    }

    private void publish(ModelVersion version, PendingFrame pending, List<ClassScore> scores) {
        Prediction answer = Prediction.newBuilder().setModelName(version.getModelName()).setModelVersion(version.getVersion())
                .addAllTopK(scores).setFrameId(pending.frame().getFrameId()).setCameraId(pending.frame().getCameraId())
                .setFrameRef(pending.ref()).setPredictedAtMs(System.currentTimeMillis()).build();
        Relay.send(shadowPredictions, answer, answer.getCameraId(), null, null);
        answered.increment();
    }

    void shutdown(@Observes ShutdownEvent event) {
        loader.shutdownNow();
        worker.interrupt();
        Shadow shadow = current.getAndSet(null);
        if (shadow != null) {
            shadow.model().retire();
        }
    }

    /** Audit frames always, the share of the others by a stable choice per frame, whatever its batch. */
    private boolean chosen(PendingFrame pending) {
        return pending.frame().getAudit() || share >= 1
                || Math.floorMod(pending.frame().getFrameId().hashCode(), 10_000) < share * 10_000;
    }
}
