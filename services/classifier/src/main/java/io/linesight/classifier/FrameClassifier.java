package io.linesight.classifier;

import io.linesight.common.FrameSizeLimit;
import io.linesight.common.ImageFormat;
import io.linesight.common.ImageRejectedException;
import io.linesight.common.Images;
import io.linesight.common.RedisKeys;
import io.linesight.proto.Frame;
import io.linesight.proto.MalformedRecords;
import io.linesight.proto.Prediction;
import io.linesight.proto.PredictionTimings;
import io.linesight.proto.RecordRef;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.smallrye.reactive.messaging.kafka.api.IncomingKafkaRecordMetadata;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.eclipse.microprofile.reactive.messaging.Acknowledgment;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.eclipse.microprofile.reactive.messaging.OnOverflow;
import org.jboss.logging.Logger;

/**
 * Reads linesight.frames, writes linesight.predictions and linesight.frames.dlq. Frames are micro-batched
 * (up to batch-size, waiting at most max-wait), looked up in the cache, decoded in parallel with the
 * previous batch's inference, classified in one call per batch, and acknowledged (so their offsets
 * commit) only when the broker has their prediction or dead letter: at-least-once, nothing lost.
 */
@ApplicationScoped
public class FrameClassifier {
    private static final Logger LOG = Logger.getLogger(FrameClassifier.class);
    static final String DLQ_REASON_HEADER = MalformedRecords.DLQ_REASON_HEADER;

    /** A frame taken from Kafka, waiting for its batch. */
    private record Pending(Message<Frame> message, Frame frame, RecordRef ref, long takenAtMs) {
    }

    /** A frame ready for inference: pixels, a cached answer, or the reason it goes to the DLQ. */
    private record Prepared(Pending pending, byte[] rgb, long preprocessMicros, Prediction cached, String failure) {
    }

    private record Batch(List<Future<Prepared>> items, String model, int version, int inputSize) {
    }

    private final ClassifierConfig config;
    private final ModelManager models;
    private final PredictionCache cache;
    private final Emitter<Prediction> predictions;
    private final Emitter<Frame> deadLetters;
    /** Records that are not a Frame at all, dead-lettered with their original bytes. */
    private final Emitter<byte[]> rawDeadLetters;
    private final FrameSizeLimit limit;
    private final BlockingQueue<Pending> incoming;
    private final BlockingQueue<Batch> batches = new ArrayBlockingQueue<>(2);
    private final ExecutorService preprocess;
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean running = true;

    private final MeterRegistry registry;
    private final DistributionSummary batchSize;
    private final Timer queueWait;
    private final Timer preprocessTime;
    private final Timer inferenceTime;
    private final Timer captureToPrediction;
    private final Counter predicted;
    private final Counter cachedHits;
    private final Counter malformed;

    FrameClassifier(ClassifierConfig config, ModelManager models, PredictionCache cache, MeterRegistry registry,
            @Channel("predictions") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 4096) Emitter<Prediction> predictions,
            @Channel("frames-dlq") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 1024) Emitter<Frame> deadLetters,
            @Channel("frames-dlq-raw") @OnOverflow(value = OnOverflow.Strategy.BUFFER, bufferSize = 1024) Emitter<byte[]> rawDeadLetters) {
        this.config = config;
        this.models = models;
        this.cache = cache;
        this.predictions = predictions;
        this.deadLetters = deadLetters;
        this.rawDeadLetters = rawDeadLetters;
        this.registry = registry;
        this.limit = new FrameSizeLimit(config.frames().maxBytes());
        this.incoming = new ArrayBlockingQueue<>(4 * config.classifier().batchSize());
        this.preprocess = Executors.newFixedThreadPool(config.classifier().preprocessThreads(), r -> new Thread(r, "preprocess"));
        this.batchSize = DistributionSummary.builder("linesight.classifier.batch.size").publishPercentileHistogram()
                .description("Frames per inference batch").register(registry);
        this.queueWait = timer("linesight.classifier.queue.wait", "Frame received by ingest -> taken by the classifier");
        this.preprocessTime = timer("linesight.classifier.preprocess", "Decode and resize of one frame");
        this.inferenceTime = timer("linesight.classifier.inference", "One batch through the model");
        this.captureToPrediction = timer("linesight.classifier.capture.to.prediction", "Camera capture -> prediction published");
        // Registered once: the hot path only increments.
        this.predicted = outcome("predicted");
        this.cachedHits = outcome("cached");
        this.malformed = outcome("malformed");
    }

    private Timer timer(String name, String description) {
        return Timer.builder(name).publishPercentileHistogram().description(description).register(registry);
    }

    void start(@Observes StartupEvent event) {
        workers.add(new Thread(this::batchLoop, "batcher"));
        workers.add(new Thread(this::inferenceLoop, "inference"));
        workers.forEach(Thread::start);
    }

    void stop(@Observes ShutdownEvent event) {
        // Unacknowledged frames are simply consumed again after restart (their offsets were not committed).
        running = false;
        workers.forEach(Thread::interrupt);
        preprocess.shutdownNow();
    }

    /** Hands a frame to the batcher; when the queue is full the channel waits, so Kafka is the buffer. */
    @Incoming("frames")
    @Acknowledgment(Acknowledgment.Strategy.MANUAL)
    public Uni<Void> receive(Message<Frame> message) {
        Frame frame = message.getPayload();
        if (frame == null) {
            malformed.increment();
            var record = message.getMetadata(IncomingKafkaRecordMetadata.class);
            MalformedRecords.DeadLetter dead = record.map(m -> MalformedRecords.deadLetter(m.getHeaders())).orElse(null);
            if (dead == null) {
                return Uni.createFrom().completionStage(message.ack()); // a null value: nothing to keep
            }
            LOG.warnf("Malformed record %s-%d@%d to linesight.frames.dlq", record.get().getTopic(), record.get().getPartition(),
                    record.get().getOffset());
            countDeadLetter("malformed_protobuf");
            rawDeadLetters.send(relay(dead.value(), String.valueOf(record.get().getKey()), dead.headers(), message));
            return Uni.createFrom().voidItem();
        }
        RecordRef ref = message.getMetadata(IncomingKafkaRecordMetadata.class)
                .map(m -> RecordRef.newBuilder().setTopic(m.getTopic()).setPartition(m.getPartition()).setOffset(m.getOffset()).build())
                .orElse(RecordRef.getDefaultInstance());
        Pending pending = new Pending(message, frame, ref, System.currentTimeMillis());
        if (incoming.offer(pending)) {
            return Uni.createFrom().voidItem();
        }
        return Uni.createFrom().item(() -> {
            try {
                incoming.put(pending);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return (Void) null;
        }).runSubscriptionOn(Infrastructure.getDefaultWorkerPool());
    }

    private void batchLoop() {
        int max = config.classifier().batchSize();
        long maxWaitNanos = config.classifier().maxWait().toNanos();
        while (running) {
            try {
                Pending first = incoming.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                List<Pending> frames = new ArrayList<>(max);
                frames.add(first);
                incoming.drainTo(frames, max - 1);
                long deadline = System.nanoTime() + maxWaitNanos;
                while (frames.size() < max) {
                    Pending next = incoming.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                    if (next == null) {
                        break;
                    }
                    frames.add(next);
                }
                batches.put(prepare(frames));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Cache lookup for the whole batch, then decoding of the misses on the preprocess pool. */
    private Batch prepare(List<Pending> frames) throws InterruptedException {
        var serving = models.servingVersion();
        while (serving == null && running) {
            Thread.sleep(50);
            serving = models.servingVersion();
        }
        String model = serving.getModelName();
        int version = serving.getVersion();
        int inputSize = serving.getInputSize();
        List<Prediction> cached = cache.lookup(frames.stream()
                .map(p -> RedisKeys.cachedPrediction(model, version, p.frame().getSha256())).toList());
        List<Future<Prepared>> items = new ArrayList<>(frames.size());
        for (int i = 0; i < frames.size(); i++) {
            Pending pending = frames.get(i);
            queueWait.record(Math.max(0, pending.takenAtMs() - pending.frame().getReceivedAtMs()), TimeUnit.MILLISECONDS);
            Prediction hit = cached.get(i);
            items.add(hit != null ? CompletableFuture.completedFuture(new Prepared(pending, null, 0, hit, null))
                    : preprocess.submit(() -> decode(pending, inputSize)));
        }
        return new Batch(items, model, version, inputSize);
    }

    private Prepared decode(Pending pending, int inputSize) {
        long start = System.nanoTime();
        Frame frame = pending.frame();
        if (frame.getImage().size() > limit.maxFrameBytes()) {
            return new Prepared(pending, null, 0, null, "frame_too_large: " + frame.getImage().size() + " bytes, limit "
                    + limit.maxFrameBytes());
        }
        var format = ImageFormat.ofContentType(frame.getContentType());
        if (format.isEmpty()) {
            return new Prepared(pending, null, 0, null, "unsupported_media_type: " + frame.getContentType());
        }
        try {
            byte[] rgb = Images.toRgb(Images.decode(frame.getImage().toByteArray(), format.get(), config.frames().maxPixels()),
                    inputSize);
            long micros = (System.nanoTime() - start) / 1000;
            preprocessTime.record(micros, TimeUnit.MICROSECONDS);
            return new Prepared(pending, rgb, micros, null, null);
        } catch (ImageRejectedException e) {
            return new Prepared(pending, null, 0, null, e.reason().name().toLowerCase() + ": " + e.getMessage());
        }
    }

    private void inferenceLoop() {
        while (running) {
            Batch batch;
            try {
                batch = batches.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            try {
                classify(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOG.error("Batch failed; its frames are not acknowledged and will be consumed again", e);
                batch.items().forEach(f -> nackQuietly(f, e));
            }
        }
    }

    private void classify(Batch batch) throws InterruptedException {
        List<Prepared> items = new ArrayList<>(batch.items().size());
        for (Future<Prepared> future : batch.items()) {
            try {
                items.add(future.get());
            } catch (ExecutionException e) {
                throw new IllegalStateException("preprocessing failed", e.getCause());
            }
        }
        batchSize.record(items.size());
        List<Prepared> toInfer = new ArrayList<>();
        List<Prediction> firstPredictions = new ArrayList<>();
        for (Prepared item : items) {
            if (item.failure() != null) {
                deadLetter(item);
            } else if (item.cached() != null) {
                Prediction prediction = forFrame(item.cached().toBuilder(), item, 0, true);
                publish(item.pending(), prediction);
                firstPredictions.add(prediction);
            } else {
                toInfer.add(item);
            }
        }
        List<String> cacheKeys = new ArrayList<>();
        List<Prediction> fresh = new ArrayList<>();
        if (!toInfer.isEmpty()) {
            ServingModel model = models.acquire();
            try {
                var version = model.version();
                List<byte[]> pixels = new ArrayList<>();
                for (Prepared item : toInfer) {
                    pixels.add(item.rgb().length == 3 * version.getInputSize() * version.getInputSize() ? item.rgb()
                            : decode(item.pending(), version.getInputSize()).rgb()); // input size changed with a swap
                }
                long start = System.nanoTime();
                List<float[]> probabilities = model.predict(pixels);
                long inferenceMicros = (System.nanoTime() - start) / 1000;
                inferenceTime.record(inferenceMicros, TimeUnit.MICROSECONDS);
                for (int i = 0; i < toInfer.size(); i++) {
                    Prepared item = toInfer.get(i);
                    Prediction.Builder builder = Prediction.newBuilder().setModelName(version.getModelName())
                            .setModelVersion(version.getVersion())
                            .addAllTopK(TopK.of(probabilities.get(i), version.getClassesList(), config.classifier().topK()));
                    Prediction prediction = forFrame(builder, item, inferenceMicros, false);
                    publish(item.pending(), prediction);
                    firstPredictions.add(prediction);
                    cacheKeys.add(RedisKeys.cachedPrediction(version.getModelName(), version.getVersion(), item.pending().frame().getSha256()));
                    fresh.add(prediction);
                }
            } catch (ai.djl.translate.TranslateException e) {
                throw new IllegalStateException("inference failed: " + e.getMessage(), e);
            } finally {
                model.release();
            }
        }
        cache.store(cacheKeys, fresh, firstPredictions);
    }

    private Prediction forFrame(Prediction.Builder builder, Prepared item, long inferenceMicros, boolean cached) {
        Frame frame = item.pending().frame();
        long now = System.currentTimeMillis();
        captureToPrediction.record(Math.max(0, now - frame.getCapturedAtMs()), TimeUnit.MILLISECONDS);
        (cached ? cachedHits : predicted).increment();
        return builder.setFrameId(frame.getFrameId()).setCameraId(frame.getCameraId()).setFrameRef(item.pending().ref())
                .setTimings(PredictionTimings.newBuilder()
                        .setQueueWaitUs(Math.max(0, item.pending().takenAtMs() - frame.getReceivedAtMs()) * 1000)
                        .setPreprocessUs(item.preprocessMicros()).setInferenceUs(inferenceMicros))
                .setCached(cached).setPredictedAtMs(now).build();
    }

    private void publish(Pending pending, Prediction prediction) {
        predictions.send(relay(prediction, prediction.getCameraId(), new RecordHeaders(), pending.message()));
    }

    private void deadLetter(Prepared item) {
        Pending pending = item.pending();
        String reason = item.failure();
        LOG.warnf("Frame %s (%s) to %s: %s", pending.frame().getFrameId(), pending.ref(), "linesight.frames.dlq", reason);
        countDeadLetter(reason);
        RecordHeaders headers = new RecordHeaders();
        headers.add(DLQ_REASON_HEADER, reason.getBytes(StandardCharsets.UTF_8));
        deadLetters.send(relay(pending.frame(), pending.frame().getCameraId(), headers, pending.message()));
    }

    private void countDeadLetter(String reason) {
        Counter.builder("linesight.classifier.dlq").tag("reason", reason.substring(0, reason.indexOf(':') < 0 ? reason.length() : reason.indexOf(':')))
                .description("Frames sent to the dead-letter topic").register(registry).increment();
    }

    /** An outgoing record whose broker acknowledgement acknowledges the frame it answers (so its offset commits). */
    private static <T> Message<T> relay(T payload, String key, RecordHeaders headers, Message<Frame> source) {
        Metadata metadata = Metadata.of(OutgoingKafkaRecordMetadata.<String>builder().withKey(key).withHeaders(headers).build());
        return Message.of(payload, metadata, () -> source.ack(), (Throwable failure) -> source.nack(failure));
    }

    private Counter outcome(String outcome) {
        return Counter.builder("linesight.classifier.frames").tag("outcome", outcome)
                .description("Frames handled, by outcome").register(registry);
    }

    private static void nackQuietly(Future<Prepared> future, Exception cause) {
        try {
            future.get().pending().message().nack(cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // Nothing to nack: preprocessing itself failed; the channel fails on the other nacks.
        }
    }
}
