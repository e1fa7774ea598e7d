package io.linesight.training;

import io.linesight.training.data.Batches;
import io.linesight.training.data.ImageSet;
import io.linesight.training.model.ResNetModel;
import io.linesight.training.model.Strategy;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/** The training loop: epochs of balanced, augmented batches, a validation pass and a progress line each. */
public final class Trainer {
    /** How to train. */
    public record Options(Strategy strategy, int epochs, int batchSize, LearningRateSchedule schedule, float weightDecay,
            boolean balanced, long seed) {
    }

    /** One epoch's figures. */
    public record EpochResult(int epoch, double loss, double trainAccuracy, double validationAccuracy,
            double validationMacroRecall, double imagesPerSecond, double seconds) {
    }

    /** Recalibration batches after training: enough for PyTorch's 0.1 BN momentum to forget stale statistics. */
    private static final int RECALIBRATION_BATCHES = 40;

    private final PrintStream log;

    public Trainer(PrintStream log) {
        this.log = log;
    }

    public List<EpochResult> train(ResNetModel model, ImageSet train, ImageSet validation, Options options) {
        if (train.size() == 0) {
            throw new IllegalArgumentException("no training images");
        }
        Batches batches = new Batches(train, model.spec().numClasses(), options.balanced(), options.seed());
        int steps = Math.max(1, (train.size() + options.batchSize() - 1) / options.batchSize());
        long totalSteps = (long) steps * options.epochs();
        long globalStep = 0;
        List<EpochResult> results = new ArrayList<>();
        long trainingStart = System.nanoTime();
        for (int epoch = 1; epoch <= options.epochs(); epoch++) {
            long start = System.nanoTime();
            double lossSum = 0;
            double accuracySum = 0;
            Progress progress = new Progress("epoch " + epoch + "/" + options.epochs(), (long) steps * options.batchSize());
            for (int step = 0; step < steps; step++) {
                Batches.Batch batch = batches.next(options.batchSize());
                float rate = options.schedule().at(globalStep++, totalSteps);
                ResNetModel.StepResult result = model.trainStep(options.strategy(), batch.pixels(), batch.labels(),
                        rate, options.weightDecay());
                if (!Float.isFinite(result.loss())) {
                    throw new IllegalStateException("loss diverged to " + result.loss() + " in epoch " + epoch
                            + ": lower --lr (now " + options.schedule().baseRate() + ")");
                }
                lossSum += result.loss();
                accuracySum += result.accuracy();
                progress.step(options.batchSize());
            }
            progress.done();
            double seconds = (System.nanoTime() - start) / 1e9;
            Evaluation val = validation.size() == 0 ? null : Evaluation.of(model, validation, 64);
            EpochResult result = new EpochResult(epoch, lossSum / steps, accuracySum / steps,
                    val == null ? Double.NaN : val.accuracy(), val == null ? Double.NaN : val.macroRecall(),
                    steps * options.batchSize() / seconds, seconds);
            results.add(result);
            double elapsed = (System.nanoTime() - trainingStart) / 1e9;
            long eta = (long) (elapsed / epoch * (options.epochs() - epoch));
            log.printf("epoch %d/%d  loss %.4f  train acc %.3f  val acc %.3f  val macro-recall %.3f  %.1f img/s  eta %s%n",
                    epoch, options.epochs(), result.loss(), result.trainAccuracy(), result.validationAccuracy(),
                    result.validationMacroRecall(), result.imagesPerSecond(), Progress.duration(eta));
        }
        recalibrate(model, train, options);
        return results;
    }

    /**
     * Refreshes the BN running statistics of the trained layers on un-augmented training images: after few
     * steps they lag the weights and serving would predict one class.
     */
    private static void recalibrate(ResNetModel model, ImageSet train, Options options) {
        if (options.strategy().recalibrationKey() == null) {
            return;
        }
        int batch = Math.min(options.batchSize(), train.size());
        // Shuffled: the set is stored class by class, and single-class batches would skew the statistics.
        List<Integer> order = new ArrayList<>(java.util.stream.IntStream.range(0, train.size()).boxed().toList());
        java.util.Collections.shuffle(order, new java.util.Random(options.seed()));
        int batches = Math.min(RECALIBRATION_BATCHES, Math.max(1, train.size() / batch));
        for (int b = 0; b < batches; b++) {
            int[] indices = order.subList(b * batch, (b + 1) * batch).stream().mapToInt(Integer::intValue).toArray();
            model.recalibrate(options.strategy(), train.batch(indices), batch);
        }
    }
}
