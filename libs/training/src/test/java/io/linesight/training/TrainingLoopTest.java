package io.linesight.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.linesight.localstack.ImageSamples;
import io.linesight.common.ImageFolder;
import io.linesight.training.data.Augmentation;
import io.linesight.training.data.ImageSet;
import io.linesight.training.model.ResNetModel;
import io.linesight.training.model.ResNetSpec;
import io.linesight.training.model.Strategy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A few epochs on a real slice of NEU: the loss falls and held-out images are classified far above chance. */
class TrainingLoopTest {
    private static final List<String> CLASSES = List.of("crazing", "inclusion", "patches", "pitted_surface",
            "rolled-in_scale", "scratches");

    @Test
    void trainingOnRealDefectsLowersLossAndBeatsChanceOnHeldOutImages() {
        ImageSet train = ImageSet.load(slice(1, 30), 64, 2, "NEU train slice");
        ImageSet heldOut = ImageSet.load(slice(201, 215), 64, 2, "NEU held-out slice");
        ResNetSpec spec = new ResNetSpec(CLASSES, 64, 16, false);

        try (ResNetModel model = ResNetModel.create(spec, 11, 2)) {
            double chance = Evaluation.of(model, heldOut, 64).accuracy();
            List<TrainingLoop.EpochResult> epochs = new TrainingLoop(System.out).train(model, train, heldOut,
                    new TrainingLoop.Options(Strategy.FULL, 12, 16,
                    new LearningRateSchedule(LearningRateSchedule.Kind.COSINE, 0.05f, 11), 5e-4f, 0f, true, Augmentation.SHIFT_FLIP, 11, 0, false)).epochs();
            Evaluation after = Evaluation.of(model, heldOut, 64);

            double firstLoss = epochs.get(0).loss();
            double lastLoss = epochs.get(epochs.size() - 1).loss();
            assertTrue(lastLoss < 0.75 * firstLoss, "loss " + firstLoss + " -> " + lastLoss);
            assertTrue(after.accuracy() > 0.4, "held-out accuracy " + after.accuracy() + " (untrained: " + chance
                    + ", chance 0.167)");
        }
    }

    @Test
    void keepsTheBestValidationEpochAndStopsWhenPatienceRunsOut() {
        List<ImageFolder.Item> items = slice(1, 5);
        // Validation labels shifted by one class: fitting the training labels can only make validation worse.
        List<ImageFolder.Item> shifted = items.stream()
                .map(i -> new ImageFolder.Item(i.path(), i.relativePath(), (i.label() + 1) % CLASSES.size())).toList();
        ImageSet train = ImageSet.load(items, 32, 2, "train");
        ImageSet misleading = ImageSet.load(shifted, 32, 2, "validation");
        ResNetSpec spec = new ResNetSpec(CLASSES, 32, 8, true);
        LearningRateSchedule constant = new LearningRateSchedule(LearningRateSchedule.Kind.CONSTANT, 0.5f, 0);

        try (ResNetModel selected = ResNetModel.create(spec, 3, 2); ResNetModel oneEpoch = ResNetModel.create(spec, 3, 2)) {
            TrainingLoop.Run run = new TrainingLoop(System.out).train(selected, train, misleading,
                    new TrainingLoop.Options(Strategy.HEAD, 20, 8, constant, 0f, 0f, true, Augmentation.SHIFT_FLIP, 5, 2, true));
            new TrainingLoop(System.out).train(oneEpoch, train, misleading,
                    new TrainingLoop.Options(Strategy.HEAD, 1, 8, constant, 0f, 0f, true, Augmentation.SHIFT_FLIP, 5, 0, false));

            assertTrue(run.stoppedEarly(), "20 epochs of a worsening validation must stop early");
            assertEquals(run.bestEpoch() + 2, run.epochs().size());
            double best = run.epochs().stream().mapToDouble(TrainingLoop.EpochResult::validationMacroRecall).max().orElseThrow();
            assertEquals(best, run.best().validationMacroRecall());
            if (run.bestEpoch() == 1) {
                assertArrayEquals(oneEpoch.variable("fc.weight"), selected.variable("fc.weight"), 1e-5f);
            }
            assertEquals(run.best().validationMacroRecall(), Evaluation.of(selected, misleading, 64).macroRecall(), 1e-9);
        }
    }

    private static List<ImageFolder.Item> slice(int from, int to) {
        Path neu = ImageSamples.neuSurface();
        List<ImageFolder.Item> items = new ArrayList<>();
        for (int c = 0; c < CLASSES.size(); c++) {
            String name = CLASSES.get(c);
            for (int i = from; i < to; i++) {
                items.add(new ImageFolder.Item(neu.resolve(name).resolve(name + "_" + i + ".jpg"), name + "/" + i, c));
            }
        }
        return items;
    }
}
