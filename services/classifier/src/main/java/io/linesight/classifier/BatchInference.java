package io.linesight.classifier;

import ai.djl.translate.TranslateException;
import io.linesight.common.RedisKeys;
import io.linesight.proto.ModelVersion;
import io.linesight.proto.Prediction;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The inference thread: one model call per prepared batch (DJL TensorFlow), with a reference on the serving version
 * held for the batch so a swap never closes it mid-call; answers go to PredictionPublisher and the cache, each
 * inferred frame to CameraDrift, and the batch to the shadow candidate (ShadowModel) when one runs.
 */
@ApplicationScoped
public class BatchInference {
    private static final Logger LOG = Logger.getLogger(BatchInference.class);

    private final ModelManager models;
    private final FramePreparation preparation;
    private final PredictionPublisher publisher;
    private final PredictionCache cache;
    private final CameraDrift drift;
    private final ShadowModel shadow;
    private final int topK;
    /** Two batches: one in inference, the next one decoding. */
    private final BlockingQueue<PreparedBatch> batches = new ArrayBlockingQueue<>(2);
    private final Thread thread = new Thread(this::run, "inference");
    private final DistributionSummary batchSize;
    private final Timer inferenceTime;
    private final Timer ready;
    private final Timer inferenceShare;
    private volatile boolean running = true;

    BatchInference(ModelManager models, FramePreparation preparation, PredictionPublisher publisher, PredictionCache cache,
            CameraDrift drift, ShadowModel shadow, ClassifierConfig config, MeterRegistry registry) {
        this.models = models;
        this.preparation = preparation;
        this.publisher = publisher;
        this.cache = cache;
        this.drift = drift;
        this.shadow = shadow;
        this.topK = config.topK();
        this.batchSize = DistributionSummary.builder("linesight.classifier.batch.size").publishPercentileHistogram()
                .description("Frames per inference batch").register(registry);
        this.inferenceTime = ClassifierMetrics.timer(registry, "linesight.classifier.inference", "One batch through the model");
        this.ready = ClassifierMetrics.stage(registry, "ready");
        this.inferenceShare = ClassifierMetrics.stage(registry, "inference");
    }

    void start(@Observes StartupEvent event) {
        thread.start();
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        thread.interrupt();
    }

    /** Prepared batches waiting for the model (one is in it): the serving side is busy with work ready. */
    int waiting() {
        return batches.size();
    }

    /** Blocks while two batches wait: the batcher then stops taking frames, and Kafka buffers. */
    void submit(PreparedBatch batch) throws InterruptedException {
        batches.put(batch);
    }

    private void run() {
        while (running) {
            PreparedBatch batch;
            try {
                batch = batches.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            // Frames whose answer or dead letter was handed to the broker: Relay acknowledges those, nothing else may.
            Set<PendingFrame> handed = Collections.newSetFromMap(new IdentityHashMap<>());
            try {
                List<PreparedFrame> items = await(batch.items());
                ClassifierMetrics.recordFrames(ready, System.nanoTime() - batch.formedAtNanos(), items.size());
                classify(items, handed);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException | TranslateException e) {
                LOG.error("Batch failed; its unanswered frames are not acknowledged and will be consumed again", e);
                batch.frames().stream().filter(frame -> !handed.contains(frame)).forEach(frame -> frame.message().nack(e));
            }
        }
    }

    private static List<PreparedFrame> await(List<Future<PreparedFrame>> futures) throws InterruptedException {
        List<PreparedFrame> items = new ArrayList<>(futures.size());
        for (Future<PreparedFrame> future : futures) {
            try {
                items.add(future.get());
            } catch (ExecutionException e) {
                throw new IllegalStateException("preprocessing failed", e.getCause());
            }
        }
        return items;
    }

    private void classify(List<PreparedFrame> batch, Set<PendingFrame> handed) throws TranslateException {
        batchSize.record(batch.size());
        List<PreparedFrame> toInfer = new ArrayList<>();
        for (PreparedFrame item : batch) {
            if (item.failure() != null) {
                publisher.deadLetter(item);
                handed.add(item.pending());
            } else {
                toInfer.add(item);
            }
        }
        List<String> cacheKeys = new ArrayList<>();
        List<Prediction> fresh = new ArrayList<>();
        if (!toInfer.isEmpty()) {
            ServingModel model = models.acquire();
            try {
                ModelVersion version = model.version();
                int size = version.getInputSize();
                List<byte[]> pixels = new ArrayList<>();
                for (PreparedFrame item : toInfer) {
                    // A swap between preparation and inference may have changed the input size.
                    pixels.add(item.rgb().length == 3 * size * size ? item.rgb() : preparation.decode(item.pending(), size).rgb());
                }
                long start = System.nanoTime();
                List<ModelAnswer> answers = model.predict(pixels);
                long inferenceMicros = (System.nanoTime() - start) / 1000;
                inferenceTime.record(inferenceMicros, TimeUnit.MICROSECONDS);
                ClassifierMetrics.recordFrames(inferenceShare, inferenceMicros * 1000 / toInfer.size(), toInfer.size());
                for (int i = 0; i < toInfer.size(); i++) {
                    PreparedFrame item = toInfer.get(i);
                    float[] probabilities = answers.get(i).probabilities();
                    Prediction.Builder answer = Prediction.newBuilder().setModelName(version.getModelName())
                            .setModelVersion(version.getVersion())
                            .addAllTopK(TopK.of(probabilities, version.getClassesList(), topK));
                    if (answers.get(i).activationMap() != null) {
                        answer.setActivationMap(answers.get(i).activationMap());
                    }
                    if (model.decisions() != null) {
                        model.decisions().apply(probabilities, answer);
                    }
                    fresh.add(publisher.publish(answer, item.pending(), item.preprocessMicros(), inferenceMicros, false));
                    handed.add(item.pending());
                    cacheKeys.add(RedisKeys.cachedPrediction(version.getModelName(), model.manifestSha256(),
                            item.pending().imageSha256()));
                    drift.observeSafely(item.pending().frame().getCameraId(), model.manifestSha256(), pixels.get(i), size,
                            answers.get(i).embedding(), answer.getTopK(0).getProbability());
                }
                shadow.offerInferred(toInfer, pixels);
            } finally {
                model.release();
            }
        }
        cache.store(cacheKeys, fresh);
    }
}
