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
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The inference thread: one model call per prepared batch (DJL TensorFlow), with a reference on the serving version
 * held for the batch so a swap never closes it mid-call; answers go to PredictionPublisher, new ones to the cache.
 */
@ApplicationScoped
public class BatchInference {
    private static final Logger LOG = Logger.getLogger(BatchInference.class);

    private final ModelManager models;
    private final FramePreparation preparation;
    private final PredictionPublisher publisher;
    private final PredictionCache cache;
    private final int topK;
    /** Two batches: one in inference, the next one decoding. */
    private final BlockingQueue<List<Future<PreparedFrame>>> batches = new ArrayBlockingQueue<>(2);
    private final Thread thread = new Thread(this::run, "inference");
    private final DistributionSummary batchSize;
    private final Timer inferenceTime;
    private volatile boolean running = true;

    BatchInference(ModelManager models, FramePreparation preparation, PredictionPublisher publisher, PredictionCache cache,
            ClassifierConfig config, MeterRegistry registry) {
        this.models = models;
        this.preparation = preparation;
        this.publisher = publisher;
        this.cache = cache;
        this.topK = config.topK();
        this.batchSize = DistributionSummary.builder("linesight.classifier.batch.size").publishPercentileHistogram()
                .description("Frames per inference batch").register(registry);
        this.inferenceTime = ClassifierMetrics.timer(registry, "linesight.classifier.inference", "One batch through the model");
    }

    void start(@Observes StartupEvent event) {
        thread.start();
    }

    void stop(@Observes ShutdownEvent event) {
        running = false;
        thread.interrupt();
    }

    /** Blocks while two batches wait: the batcher then stops taking frames, and Kafka buffers. */
    void submit(List<Future<PreparedFrame>> batch) throws InterruptedException {
        batches.put(batch);
    }

    private void run() {
        while (running) {
            List<PreparedFrame> batch;
            try {
                batch = await(batches.take());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            try {
                classify(batch);
            } catch (RuntimeException | TranslateException e) {
                LOG.error("Batch failed; its frames are not acknowledged and will be consumed again", e);
                batch.forEach(item -> item.pending().message().nack(e));
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

    private void classify(List<PreparedFrame> batch) throws TranslateException {
        batchSize.record(batch.size());
        List<PreparedFrame> toInfer = new ArrayList<>();
        List<Prediction> firstPredictions = new ArrayList<>();
        for (PreparedFrame item : batch) {
            if (item.failure() != null) {
                publisher.deadLetter(item);
            } else if (item.cached() != null) {
                firstPredictions.add(publisher.publish(item.cached().toBuilder(), item, 0, true));
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
                List<float[]> probabilities = model.predict(pixels);
                long inferenceMicros = (System.nanoTime() - start) / 1000;
                inferenceTime.record(inferenceMicros, TimeUnit.MICROSECONDS);
                for (int i = 0; i < toInfer.size(); i++) {
                    PreparedFrame item = toInfer.get(i);
                    Prediction.Builder answer = Prediction.newBuilder().setModelName(version.getModelName())
                            .setModelVersion(version.getVersion())
                            .addAllTopK(TopK.of(probabilities.get(i), version.getClassesList(), topK));
                    Prediction prediction = publisher.publish(answer, item, inferenceMicros, false);
                    firstPredictions.add(prediction);
                    cacheKeys.add(RedisKeys.cachedPrediction(version.getModelName(), version.getVersion(),
                            item.pending().frame().getSha256()));
                    fresh.add(prediction);
                }
            } finally {
                model.release();
            }
        }
        cache.store(cacheKeys, fresh, firstPredictions);
    }
}
