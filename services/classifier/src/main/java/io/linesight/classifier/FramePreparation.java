package io.linesight.classifier;

import io.linesight.common.DecodeBudget;
import io.linesight.common.FrameSizeLimit;
import io.linesight.common.ImageFormat;
import io.linesight.common.ImageRejectedException;
import io.linesight.common.Images;
import io.linesight.common.RedisKeys;
import io.linesight.proto.Frame;
import io.linesight.proto.Prediction;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Readies frames for the model: one cache lookup (Redis) per group of frames as they arrive, whose hits are published
 * at once, then batches of the misses decoded and resized to the serving version's input on the preprocess pool, in
 * parallel with the previous batch's inference.
 */
@Startup
@ApplicationScoped
public class FramePreparation {
    private final ModelManager models;
    private final PredictionCache cache;
    private final CameraDrift drift;
    private final PredictionPublisher publisher;
    private final DecodeBudget decodeBudget;
    private final FrameSizeLimit limit;
    private final ExecutorService pool;
    private final Timer transit;
    private final Timer batching;
    private final Timer cacheLookup;
    private final Timer decoding;
    private final Timer resizing;

    FramePreparation(ModelManager models, PredictionCache cache, PredictionPublisher publisher, CameraDrift drift,
            DecodeBudget decodeBudget, FrameSizeLimit limit, ClassifierConfig config, MeterRegistry registry) {
        this.models = models;
        this.drift = drift;
        this.cache = cache;
        this.publisher = publisher;
        this.decodeBudget = decodeBudget;
        this.limit = limit;
        this.pool = Executors.newFixedThreadPool(config.preprocessThreads(), r -> new Thread(r, "preprocess"));
        this.transit = ClassifierMetrics.stage(registry, "transit");
        this.batching = ClassifierMetrics.stage(registry, "batching");
        this.cacheLookup = ClassifierMetrics.stage(registry, "cache");
        this.decoding = ClassifierMetrics.stage(registry, "decode");
        this.resizing = ClassifierMetrics.stage(registry, "resize");
    }

    void stop(@Observes ShutdownEvent event) {
        pool.shutdownNow();
    }

    /**
     * Publishes the frames the cache answers for the serving version at once, so a hit never waits for a batch to
     * fill or behind an inference; returns the rest. Waits until a version serves (frames are consumed only then).
     */
    List<PendingFrame> answerFromCache(List<PendingFrame> arrived) throws InterruptedException {
        ServingModel serving = awaitServing();
        String model = serving.version().getModelName();
        String digest = serving.manifestSha256();
        long start = System.nanoTime();
        List<Prediction> cached = cache.lookup(arrived.stream()
                .map(p -> RedisKeys.cachedPrediction(model, digest, p.imageSha256())).toList());
        ClassifierMetrics.recordFrames(cacheLookup, (System.nanoTime() - start) / arrived.size(), arrived.size());
        List<PendingFrame> misses = new ArrayList<>(arrived.size());
        List<Prediction> answered = new ArrayList<>();
        for (int i = 0; i < arrived.size(); i++) {
            PendingFrame pending = arrived.get(i);
            transit.record(pending.queueWaitMs(), TimeUnit.MILLISECONDS);
            Prediction hit = cached.get(i);
            if (hit != null) {
                answered.add(publisher.publish(hit.toBuilder(), pending, 0, 0, true));
                drift.seen(pending.frame().getCameraId(), System.nanoTime());
            } else {
                misses.add(pending);
            }
        }
        cache.recordFirst(answered);
        return misses;
    }

    /** Starts decoding a batch of cache misses on the preprocess pool, at the serving version's input size. */
    PreparedBatch prepare(List<PendingFrame> misses) throws InterruptedException {
        int inputSize = awaitServing().version().getInputSize();
        long formed = System.nanoTime();
        List<Future<PreparedFrame>> items = new ArrayList<>(misses.size());
        for (PendingFrame pending : misses) {
            batching.record(formed - pending.takenAtNanos(), TimeUnit.NANOSECONDS);
            items.add(pool.submit(() -> decode(pending, inputSize)));
        }
        return new PreparedBatch(misses, items, formed);
    }

    private ServingModel awaitServing() throws InterruptedException {
        ServingModel serving = models.serving();
        while (serving == null) {
            Thread.sleep(50);
            serving = models.serving();
        }
        return serving;
    }

    /** Pixels at the input size, or the reason the frame goes to the DLQ. */
    PreparedFrame decode(PendingFrame pending, int inputSize) {
        long start = System.nanoTime();
        Frame frame = pending.frame();
        if (frame.getImage().size() > limit.maxFrameBytes()) {
            return PreparedFrame.failed(pending, "frame_too_large: " + frame.getImage().size() + " bytes, limit " + limit.maxFrameBytes());
        }
        var format = ImageFormat.ofContentType(frame.getContentType());
        if (format.isEmpty()) {
            return PreparedFrame.failed(pending, "unsupported_media_type: " + frame.getContentType());
        }
        try {
            // No wait bound: the preprocess pool bounds how many wait, and every decode returns its share.
            byte[] rgb = Images.decode(frame.getImage().toByteArray(), format.get(), decodeBudget, null, image -> {
                long decoded = System.nanoTime();
                decoding.record(decoded - start, TimeUnit.NANOSECONDS);
                byte[] pixels = Images.toRgb(image, inputSize);
                resizing.record(System.nanoTime() - decoded, TimeUnit.NANOSECONDS);
                return pixels;
            });
            return PreparedFrame.pixels(pending, rgb, (System.nanoTime() - start) / 1000);
        } catch (ImageRejectedException e) {
            if (e.reason() == ImageRejectedException.Reason.BUSY) {
                // Interrupted while waiting for decode memory (shutdown): the frame is fine, so it is not dead-lettered
                // but left unacknowledged for the next consumer.
                throw new IllegalStateException("interrupted before decoding frame " + frame.getFrameId(), e);
            }
            return PreparedFrame.failed(pending, e.reason().name().toLowerCase(Locale.ROOT) + ": " + e.getMessage());
        }
    }
}
