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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Readies a batch for the model: one cache lookup (Redis) for the whole batch, then the misses decoded and resized
 * to the serving version's input on the preprocess pool, in parallel with the previous batch's inference.
 */
@Startup
@ApplicationScoped
public class FramePreparation {
    private final ModelManager models;
    private final PredictionCache cache;
    private final DecodeBudget decodeBudget;
    private final FrameSizeLimit limit;
    private final ExecutorService pool;
    private final Timer queueWait;
    private final Timer preprocessTime;

    FramePreparation(ModelManager models, PredictionCache cache, DecodeBudget decodeBudget, FrameSizeLimit limit, ClassifierConfig config,
            MeterRegistry registry) {
        this.models = models;
        this.cache = cache;
        this.decodeBudget = decodeBudget;
        this.limit = limit;
        this.pool = Executors.newFixedThreadPool(config.preprocessThreads(), r -> new Thread(r, "preprocess"));
        this.queueWait = ClassifierMetrics.timer(registry, "linesight.classifier.queue.wait", "Frame received by ingest -> taken by the classifier");
        this.preprocessTime = ClassifierMetrics.timer(registry, "linesight.classifier.preprocess", "Decode and resize of one frame");
    }

    void stop(@Observes ShutdownEvent event) {
        pool.shutdownNow();
    }

    /** Waits until a version serves (frames are consumed only then), so every batch is prepared for one. */
    PreparedBatch prepare(List<PendingFrame> batch) throws InterruptedException {
        ServingModel serving = models.serving();
        while (serving == null) {
            Thread.sleep(50);
            serving = models.serving();
        }
        String model = serving.version().getModelName();
        String digest = serving.manifestSha256();
        int inputSize = serving.version().getInputSize();
        List<Prediction> cached = cache.lookup(batch.stream()
                .map(p -> RedisKeys.cachedPrediction(model, digest, p.imageSha256())).toList());
        List<Future<PreparedFrame>> items = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            PendingFrame pending = batch.get(i);
            queueWait.record(pending.queueWaitMs(), TimeUnit.MILLISECONDS);
            Prediction hit = cached.get(i);
            items.add(hit != null ? CompletableFuture.completedFuture(PreparedFrame.cached(pending, hit))
                    : pool.submit(() -> decode(pending, inputSize)));
        }
        return new PreparedBatch(batch, items);
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
            byte[] rgb = Images.decode(frame.getImage().toByteArray(), format.get(), decodeBudget, null, image -> Images.toRgb(image, inputSize));
            long micros = (System.nanoTime() - start) / 1000;
            preprocessTime.record(micros, TimeUnit.MICROSECONDS);
            return PreparedFrame.pixels(pending, rgb, micros);
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
