package io.linesight.trainer;

import io.linesight.common.DecodeBudget;
import io.linesight.common.Topic;
import io.linesight.common.registry.ModelManifest;
import io.linesight.common.registry.ModelRegistry;
import io.linesight.proto.ModelVersion;
import io.linesight.service.ServingPointerTracker;
import io.linesight.training.Evaluation;
import io.linesight.training.LearningRateSchedule;
import io.linesight.training.ModelVersions;
import io.linesight.training.TrainingLoop;
import io.linesight.training.data.Augmentation;
import io.linesight.training.data.ImageSet;
import io.linesight.training.model.ResNetModel;
import io.linesight.training.model.ResNetSpec;
import io.linesight.training.model.Strategy;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.scheduler.Scheduler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * Periodic gated fine-tuning: after enough new samples (or time since the last run), fine-tune the serving version's
 * training export on the images outside the AUDIT holdout (TrainingData: one item per image content, sides frozen),
 * compare candidate and serving version on exactly the same holdout, and hand the candidate to VersionPromoter only
 * when it is better by the margin. Images are decoded from the sample files as batches need them. One run at a time; a crash
 * mid-training publishes nothing.
 */
@ApplicationScoped
public class FineTuner {
    private static final Logger LOG = Logger.getLogger(FineTuner.class);

    /**
     * What a run did. {@code holdoutDigest} names the exact set both versions were judged on (TrainingData), and
     * {@code labelConflicts} counts image contents whose labels disagreed.
     */
    public record Outcome(String result, String detail, Integer version, Map<String, Double> candidate,
            Map<String, Double> serving, int trainSamples, int holdoutSamples, String holdoutDigest, int labelConflicts) {
    }

    /** Per-run changes to the configured training, for operators (and tests) asking for a run now. */
    public record Overrides(Integer epochs, Float learningRate, String strategy) {
        static final Overrides NONE = new Overrides(null, null, null);
    }

    private final TrainerConfig config;
    private final ShadowConfig shadowConfig;
    private final DecodeBudget decodeBudget;
    private final SampleCollector collector;
    private final SampleStore store;
    private final ServingPointerTracker pointer;
    private final VersionPromoter promoter;
    private final RunMetrics metrics;
    private final TrainerLease lease;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> new Thread(r, "fine-tune"));
    private final AtomicBoolean running = new AtomicBoolean();
    private final Timer duration;
    private volatile long lastRunNanos = System.nanoTime();

    FineTuner(TrainerConfig config, ShadowConfig shadowConfig, SampleCollector collector, SampleStore store, ServingPointerTracker pointer,
            VersionPromoter promoter, RunMetrics metrics, DecodeBudget decodeBudget, TrainerLease lease, MeterRegistry registry) {
        this.config = config;
        this.shadowConfig = shadowConfig;
        this.lease = lease;
        this.decodeBudget = decodeBudget;
        this.collector = collector;
        this.store = store;
        this.pointer = pointer;
        this.promoter = promoter;
        this.metrics = metrics;
        this.duration = Timer.builder("linesight.trainer.run").description("Duration of fine-tuning runs").register(registry);
    }

    void scheduleChecks(@Observes StartupEvent start, Scheduler scheduler) {
        scheduler.newJob("fine-tune-check").setInterval(config.checkInterval())
                .setConcurrentExecution(Scheduled.ConcurrentExecution.SKIP).setTask(execution -> check()).schedule();
    }

    /** Starts a run when enough samples arrived, or some arrived and the interval passed. */
    void check() {
        int fresh = collector.newSamples();
        boolean due = fresh >= config.minNewSamples()
                || (fresh > 0 && System.nanoTime() - lastRunNanos > config.maxInterval().toNanos());
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
                metrics.record(outcome);
                return outcome;
            } catch (Exception e) {
                LOG.error("Fine-tuning failed; nothing was published", e);
                Outcome failed = new Outcome("failed", e.toString(), null, Map.of(), Map.of(), 0, 0, null, 0);
                metrics.record(failed);
                return failed;
            } finally {
                duration.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
                running.set(false);
            }
        });
    }

    public Outcome lastOutcome() {
        return metrics.last();
    }

    private Outcome run(Overrides overrides) throws Exception {
        ModelVersion serving = pointer.serving();
        if (serving == null) {
            return skipped("no serving version yet: promote a bootstrap version first (./run promote)");
        }
        if (!lease.active()) {
            return skipped("standby: another trainer replica holds the lease, or this one is still rebuilding its samples from "
                    + Topic.SAMPLES.topicName());
        }
        ModelVersion shadow = pointer.shadow();
        if (config.promotion() == TrainerConfig.Promotion.SHADOW && shadow != null) {
            if (System.currentTimeMillis() - shadow.getCreatedAtMs() < shadowConfig.maxDuration().toMillis()) {
                // A new shadow would replace the one on the line and restart its evidence: none would ever be decided.
                return skipped("shadow version " + shadow.getVersion() + " is still being judged on live AUDIT labels");
            }
            promoter.endShadow(shadow);
            LOG.warnf("Ended shadow version %d: undecided after linesight.shadow.max-duration (%s); training goes on",
                    shadow.getVersion(), shadowConfig.maxDuration());
        }
        Path servingDir = promoter.registry().versionDir(serving.getModelName(), serving.getVersion());
        ModelManifest manifest = ModelRegistry.verify(servingDir);
        ResNetSpec spec = ModelVersions.spec(manifest);
        String decisionsProblem = promoter.decisionsProblem(spec.classes());
        if (decisionsProblem != null) {
            return skipped(decisionsProblem + ": no version could be decided with; nothing trained");
        }

        TrainingData data = TrainingData.of(store.entries(), spec.classes(), config.maxSamplesPerClass());
        if (!data.toPrune().isEmpty()) {
            collector.prune(data.toPrune());
            LOG.infof("Sample retention: pruned %d samples beyond %d image contents per class", data.toPrune().size(),
                    config.maxSamplesPerClass());
        }
        if (data.train().isEmpty()) {
            return skipped("no training images outside the holdout");
        }
        int threads = config.threads();
        ImageSet trainSet = ImageSet.stream(TrainingData.sources(data.train(), spec.classes(), store), spec.inputSize(), threads,
                decodeBudget, "training samples");
        ImageSet holdoutSet = ImageSet.stream(TrainingData.sources(data.holdout(), spec.classes(), store), spec.inputSize(), threads,
                decodeBudget, "holdout samples");
        // Judged on what decoded: the minimum, the size and the digest all count those images.
        if (holdoutSet.size() < config.minHoldout()) {
            return skipped("AUDIT holdout has " + holdoutSet.size() + " images, fewer than " + config.minHoldout()
                    + ": publishing nothing (" + trainSet.size() + " training images, " + data.unknownClassLabels()
                    + " labels of unknown classes)");
        }
        Judged judged = new Judged(trainSet.size(), holdoutSet.size(), TrainingData.digest(holdoutSet, spec.classes()), data.conflicts());

        Evaluation servingScore;
        try (ResNetModel current = ResNetModel.loadServing(servingDir.resolve(ModelManifest.SERVING_DIR), spec, threads)) {
            servingScore = Evaluation.of(current, holdoutSet, 64);
        }
        Strategy strategy = Strategy.fromCli(overrides.strategy() != null ? overrides.strategy() : config.strategy());
        // Cosine decay to zero: the candidate is the last step's weights, so they must have settled.
        LearningRateSchedule rates = new LearningRateSchedule(LearningRateSchedule.Kind.COSINE,
                overrides.learningRate() != null ? overrides.learningRate() : config.learningRate(), 0);
        TrainingLoop.Options options = new TrainingLoop.Options(strategy,
                overrides.epochs() != null ? overrides.epochs() : config.epochs(), config.batchSize(),
                rates, config.weightDecay(), 0f, true, Augmentation.fromCli(config.augmentation()), serving.getVersion(), 0, false);
        LOG.infof("Fine-tuning %s version %d (%s, %d epochs) on %d images; holdout %d AUDIT images (digest %s), %d label"
                + " conflicts, serving macro-recall %.4f", serving.getModelName(), serving.getVersion(), strategy.cliName(),
                options.epochs(), trainSet.size(), holdoutSet.size(), judged.digest(), judged.conflicts(), servingScore.macroRecall());
        try (ResNetModel candidate = ResNetModel.loadTraining(servingDir.resolve(ModelManifest.TRAINING_DIR), spec, threads)) {
            new TrainingLoop(LogLines.to(LOG)).train(candidate, trainSet, holdoutSet, options);
            Evaluation candidateScore = Evaluation.of(candidate, holdoutSet, 64);
            if (!serving.equals(pointer.serving())) {
                return superseded(serving, candidateScore, servingScore, judged);
            }
            double needed = servingScore.macroRecall() + config.margin();
            if (candidateScore.macroRecall() <= needed) {
                return judged.outcome("rejected", String.format("candidate macro-recall %.4f does not beat serving %.4f + margin %.4f",
                        candidateScore.macroRecall(), servingScore.macroRecall(), config.margin()), null, candidateScore, servingScore);
            }
            OptionalInt promoted = promoter.promote(serving, candidate, candidateScore, new ModelManifest.Lineage(trainSet.size(),
                    data.trainLabelOffsets(), Topic.SAMPLES.topicName(), new ModelManifest.Holdout(holdoutSet.size(), judged.digest())));
            if (promoted.isEmpty()) {
                return superseded(serving, candidateScore, servingScore, judged);
            }
            int version = promoted.getAsInt();
            // In shadow mode the holdout's winner still has to win on the line (ShadowEvaluation).
            return judged.outcome(config.promotion() == TrainerConfig.Promotion.SHADOW ? "shadow" : "promoted",
                    String.format("version %d: macro-recall %.4f vs %.4f", version, candidateScore.macroRecall(),
                            servingScore.macroRecall()), version, candidateScore, servingScore);
        }
    }

    /** The sets a run judged on, for its outcome. */
    private record Judged(int trainSamples, int holdoutSamples, String digest, int conflicts) {
        Outcome outcome(String result, String detail, Integer version, Evaluation candidate, Evaluation serving) {
            return new Outcome(result, detail, version, candidate.summary(), serving.summary(), trainSamples, holdoutSamples,
                    digest, conflicts);
        }
    }

    /** The serving pointer changed during the run: a rollback or a manual promote wins over this run's candidate. */
    private Outcome superseded(ModelVersion started, Evaluation candidate, Evaluation serving, Judged judged) {
        ModelVersion now = pointer.serving();
        return judged.outcome("superseded", String.format("the serving pointer changed during the run (version %d %s -> version %d %s):"
                + " nothing was promoted", started.getVersion(), started.getStatus(), now.getVersion(), now.getStatus()), null,
                candidate, serving);
    }

    private static Outcome skipped(String why) {
        return new Outcome("skipped", why, null, Map.of(), Map.of(), 0, 0, null, 0);
    }
}
