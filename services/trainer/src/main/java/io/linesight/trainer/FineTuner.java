package io.linesight.trainer;

import io.linesight.common.HashSelection;
import io.linesight.common.ImageFormat;
import io.linesight.common.Topic;
import io.linesight.common.registry.ModelManifest;
import io.linesight.common.registry.ModelRegistry;
import io.linesight.common.registry.ServingPointers;
import io.linesight.proto.LabelSource;
import io.linesight.proto.ModelStatus;
import io.linesight.proto.ModelVersion;
import io.linesight.proto.TrainingSample;
import io.linesight.training.Evaluation;
import io.linesight.training.LearningRateSchedule;
import io.linesight.training.ModelVersions;
import io.linesight.training.Trainer;
import io.linesight.training.data.ImageSet;
import io.linesight.training.model.ResNetModel;
import io.linesight.training.model.ResNetSpec;
import io.linesight.training.model.Strategy;
import io.linesight.training.registry.RegistryPublisher;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.scheduler.Scheduled;
import io.smallrye.reactive.messaging.kafka.api.OutgoingKafkaRecordMetadata;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.eclipse.microprofile.reactive.messaging.Emitter;
import org.eclipse.microprofile.reactive.messaging.Message;
import org.eclipse.microprofile.reactive.messaging.Metadata;
import org.jboss.logging.Logger;

/**
 * Periodic gated fine-tuning: after enough new samples (or time), fine-tune the serving version's training
 * export on the samples outside the AUDIT holdout, compare candidate and serving version on that holdout, and
 * publish the candidate (registry, then the serving pointer on linesight.model-versions) only when it is better
 * by the margin. One training at a time; a crash mid-training publishes nothing.
 */
@ApplicationScoped
public class FineTuner {
    private static final Logger LOG = Logger.getLogger(FineTuner.class);

    /** What a run did. */
    public record Outcome(String result, String detail, Integer version, Map<String, Double> candidate,
            Map<String, Double> serving, int trainSamples, int holdoutSamples) {
    }

    /** Per-run changes to the configured training, for operators (and tests) asking for a run now. */
    public record Overrides(Integer epochs, Float learningRate, String strategy) {
        static final Overrides NONE = new Overrides(null, null, null);
    }

    private final TrainerConfig config;
    private final SampleCollector collector;
    private final SampleStore store;
    private final ServingPointer pointer;
    private final Emitter<ModelVersion> pointers;
    private final MeterRegistry registry;
    private final ModelRegistry models;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> new Thread(r, "fine-tune"));
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicReference<Outcome> last = new AtomicReference<>();
    private final Timer duration;
    private final Map<String, AtomicReference<Double>> holdoutGauges = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile long lastRunNanos = System.nanoTime();

    FineTuner(TrainerConfig config, SampleCollector collector, SampleStore store, ServingPointer pointer,
            MeterRegistry registry, @Channel("serving-pointer") Emitter<ModelVersion> pointers) {
        this.config = config;
        this.collector = collector;
        this.store = store;
        this.pointer = pointer;
        this.pointers = pointers;
        this.registry = registry;
        this.models = new ModelRegistry(config.registry().dir().toAbsolutePath().normalize());
        this.duration = Timer.builder("linesight.trainer.run").description("Duration of fine-tuning runs").register(registry);
    }

    /** Starts a run when enough samples arrived, or some arrived and the interval passed. */
    @Scheduled(every = "${linesight.trainer.check-interval:10s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void check() {
        int fresh = collector.newSamples();
        boolean due = fresh >= config.trainer().minNewSamples()
                || (fresh > 0 && System.nanoTime() - lastRunNanos > config.trainer().maxInterval().toNanos());
        if (due) {
            start(Overrides.NONE);
        }
    }

    /** Runs in the background; null when a run is already going. */
    public Future<Outcome> start(Overrides overrides) {
        if (!running.compareAndSet(false, true)) {
            return null;
        }
        collector.takeNewSamples();
        lastRunNanos = System.nanoTime();
        return worker.submit(() -> {
            long start = System.nanoTime();
            try {
                Outcome outcome = run(overrides);
                record(outcome);
                return outcome;
            } catch (Exception e) {
                LOG.error("Fine-tuning failed; nothing was published", e);
                Outcome failed = new Outcome("failed", e.toString(), null, Map.of(), Map.of(), 0, 0);
                record(failed);
                return failed;
            } finally {
                duration.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                running.set(false);
            }
        });
    }

    public Outcome lastOutcome() {
        return last.get();
    }

    private Outcome run(Overrides overrides) throws Exception {
        ModelVersion serving = pointer.serving();
        if (serving == null) {
            return skipped("no serving version yet: promote a bootstrap version first (./run promote)");
        }
        Path servingDir = models.versionDir(serving.getModelName(), serving.getVersion());
        ModelManifest manifest = ModelRegistry.verify(servingDir);
        ResNetSpec spec = ModelVersions.spec(manifest);

        List<TrainingSample> train = new ArrayList<>();
        List<TrainingSample> holdout = new ArrayList<>();
        int unknownClass = 0;
        for (TrainingSample sample : store.all()) {
            if (!spec.classes().contains(sample.getLabel())) {
                unknownClass++;
            } else if (sample.getSource() == LabelSource.AUDIT
                    && HashSelection.isHoldout(sample.getFrameId(), config.trainer().holdoutFraction())) {
                holdout.add(sample);
            } else {
                train.add(sample);
            }
        }
        if (holdout.size() < config.trainer().minHoldout()) {
            return skipped("AUDIT holdout has " + holdout.size() + " samples, fewer than " + config.trainer().minHoldout()
                    + ": publishing nothing (" + train.size() + " training samples, " + unknownClass + " with unknown classes)");
        }
        if (train.isEmpty()) {
            return skipped("no training samples outside the holdout");
        }
        int threads = config.trainer().threads();
        ImageSet trainSet = ImageSet.decode(sources(train, spec), spec.inputSize(), threads, "training samples");
        ImageSet holdoutSet = ImageSet.decode(sources(holdout, spec), spec.inputSize(), threads, "holdout samples");

        Evaluation servingScore;
        try (ResNetModel current = ResNetModel.loadServing(servingDir.resolve(ModelManifest.SERVING_DIR), spec, threads)) {
            servingScore = Evaluation.of(current, holdoutSet, 64);
        }
        Strategy strategy = Strategy.fromCli(overrides.strategy() != null ? overrides.strategy() : config.trainer().strategy());
        // Cosine decay to zero: the candidate is the last step's weights, so they must have settled.
        LearningRateSchedule rates = new LearningRateSchedule(LearningRateSchedule.Kind.COSINE,
                overrides.learningRate() != null ? overrides.learningRate() : config.trainer().learningRate(), 0);
        Trainer.Options options = new Trainer.Options(strategy,
                overrides.epochs() != null ? overrides.epochs() : config.trainer().epochs(), config.trainer().batchSize(),
                rates, config.trainer().weightDecay(), 0f, true, serving.getVersion(), 0, false);
        LOG.infof("Fine-tuning %s version %d (%s, %d epochs) on %d samples; holdout %d AUDIT samples, serving macro-recall %.4f",
                serving.getModelName(), serving.getVersion(), strategy.cliName(), options.epochs(), trainSet.size(),
                holdoutSet.size(), servingScore.macroRecall());
        try (ResNetModel candidate = ResNetModel.loadTraining(servingDir.resolve(ModelManifest.TRAINING_DIR), spec, threads)) {
            new Trainer(new PrintStream(new LogStream(), true, StandardCharsets.UTF_8)).train(candidate, trainSet, holdoutSet, options);
            Evaluation candidateScore = Evaluation.of(candidate, holdoutSet, 64);
            double needed = servingScore.macroRecall() + config.trainer().margin();
            if (candidateScore.macroRecall() <= needed) {
                return new Outcome("rejected", String.format("candidate macro-recall %.4f does not beat serving %.4f + margin %.4f",
                        candidateScore.macroRecall(), servingScore.macroRecall(), config.trainer().margin()), null,
                        candidateScore.summary(), servingScore.summary(), trainSet.size(), holdoutSet.size());
            }
            RegistryPublisher publisher = new RegistryPublisher(models);
            int version = publisher.nextVersion(serving.getModelName());
            ModelManifest published = ModelVersions.publish(publisher, serving.getModelName(), version, serving.getVersion(),
                    candidate, candidateScore, new ModelManifest.Lineage(trainSet.size(), labelOffsets(train), "linesight.samples"));
            promote(published);
            return new Outcome("promoted", String.format("version %d: macro-recall %.4f vs %.4f", version,
                    candidateScore.macroRecall(), servingScore.macroRecall()), version, candidateScore.summary(),
                    servingScore.summary(), trainSet.size(), holdoutSet.size());
        }
    }

    private void promote(ModelManifest manifest) throws Exception {
        String base = config.registry().publicUrl().replaceAll("/+$", "") + "/registry/";
        ModelVersion next = ServingPointers.of(manifest, ServingPointers.artifactUri(base, manifest.modelName(), manifest.version()),
                ModelStatus.SERVING);
        CompletableFuture<Void> acked = new CompletableFuture<>();
        pointers.send(Message.of(next, Metadata.of(OutgoingKafkaRecordMetadata.<String>builder().withKey(next.getModelName()).build()),
                () -> {
                    acked.complete(null);
                    return CompletableFuture.completedFuture(null);
                }, (Throwable failure) -> {
                    acked.completeExceptionally(failure);
                    return CompletableFuture.completedFuture(null);
                }));
        acked.get(60, TimeUnit.SECONDS);
        LOG.infof("Promoted %s version %d on %s (%s)", next.getModelName(), next.getVersion(), Topic.MODEL_VERSIONS.topicName(),
                next.getArtifactUri());
    }

    private static List<ModelManifest.OffsetRange> labelOffsets(List<TrainingSample> samples) {
        Map<Integer, long[]> ranges = new HashMap<>();
        for (TrainingSample s : samples) {
            ranges.merge(s.getLabelPartition(), new long[] {s.getLabelOffset(), s.getLabelOffset()},
                    (a, b) -> new long[] {Math.min(a[0], b[0]), Math.max(a[1], b[1])});
        }
        return ranges.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> new ModelManifest.OffsetRange(e.getKey(), e.getValue()[0], e.getValue()[1])).toList();
    }

    private static List<ImageSet.Source> sources(List<TrainingSample> samples, ResNetSpec spec) {
        return samples.stream().map(s -> new ImageSet.Source(s.getFrameId(), spec.classes().indexOf(s.getLabel()),
                ImageFormat.ofContentType(s.getContentType()).orElse(ImageFormat.JPEG), () -> s.getImage().toByteArray())).toList();
    }

    private static Outcome skipped(String why) {
        return new Outcome("skipped", why, null, Map.of(), Map.of(), 0, 0);
    }

    private void record(Outcome outcome) {
        last.set(outcome);
        Counter.builder("linesight.trainer.runs").tag("result", outcome.result()).description("Fine-tuning runs by result")
                .register(registry).increment();
        outcome.candidate().forEach((metric, value) -> holdoutGauge(metric, "candidate").set(value));
        outcome.serving().forEach((metric, value) -> holdoutGauge(metric, "serving").set(value));
        LOG.infof("Fine-tuning %s: %s", outcome.result(), outcome.detail());
    }

    /** Holdout figures of the last run, candidate and serving version side by side. */
    private AtomicReference<Double> holdoutGauge(String metric, String model) {
        return holdoutGauges.computeIfAbsent(metric + "|" + model, key -> {
            AtomicReference<Double> value = new AtomicReference<>(Double.NaN);
            io.micrometer.core.instrument.Gauge.builder("linesight.trainer.holdout", value, AtomicReference::get)
                    .tags("metric", metric, "model", model).description("Holdout figures of the last fine-tuning run")
                    .register(registry);
            return value;
        });
    }

    /** Sends the trainer's progress lines to the log. */
    private static final class LogStream extends OutputStream {
        private final StringBuilder line = new StringBuilder();

        @Override
        public void write(int b) {
            if (b == '\n') {
                LOG.info(line.toString());
                line.setLength(0);
            } else {
                line.append((char) b);
            }
        }
    }
}
