package io.linesight.training;

import io.linesight.common.OperatingPoints;
import io.linesight.common.TemperatureScaling;
import io.linesight.common.registry.ModelManifest;
import io.linesight.common.registry.ModelRegistry;
import io.linesight.training.model.ResNetModel;
import io.linesight.training.model.ResNetSpec;
import io.linesight.training.registry.RegistryPublisher;
import java.io.IOException;
import java.util.List;

/** Turns a trained model into a registry version, and a version's manifest back into a model spec. */
public final class ModelVersions {
    public static final String ARCHITECTURE = "resnet18";
    public static final String EVALUATION_FILE = "evaluation.json";
    private static final ModelManifest.Preprocessing PREPROCESSING = new ModelManifest.Preprocessing(
            "uint8 RGB NHWC at inputSize; scaling and mean/std normalisation inside the graph",
            "bilinear (io.linesight.common.Images.toRgb); grey to RGB by channel copy",
            List.of(0.485, 0.456, 0.406), List.of(0.229, 0.224, 0.225));

    private ModelVersions() {
    }

    /**
     * Exports serving/ and training/ and the holdout evaluation, then publishes them as one version, with the
     * temperature that calibrates the holdout's probabilities (none when the holdout is empty) and, when a
     * {@code decisions} target names good classes, the OK / NG / RECHECK thresholds fitted on the calibrated holdout.
     */
    public static ModelManifest publish(RegistryPublisher publisher, String modelName, int version, int parentVersion,
            ResNetModel model, Evaluation holdout, ModelManifest.Lineage lineage, OperatingPoints.Target decisions)
            throws IOException {
        ResNetSpec spec = model.spec();
        TemperatureScaling.Fit fit = holdout.calibration();
        ModelManifest.Calibration calibration = fit.count() == 0 ? null
                : new ModelManifest.Calibration(fit.temperature(), fit.eceBefore(), fit.eceAfter(), fit.count());
        ModelManifest.OperatingPoint operatingPoint = decisions == null ? null
                : holdout.operatingPoint(calibration == null ? 1 : calibration.temperature(), decisions);
        return publisher.publish(modelName, version, dir -> {
            model.exportServing(dir.resolve(ModelManifest.SERVING_DIR));
            model.exportTraining(dir.resolve(ModelManifest.TRAINING_DIR));
            ModelRegistry.JSON.writeValue(dir.resolve(EVALUATION_FILE).toFile(), holdout);
        }, files -> new ModelManifest(modelName, version, parentVersion, spec.classes(), spec.inputSize(), 3,
                new ModelManifest.Architecture(ARCHITECTURE, spec.width(), spec.cifarStem()), PREPROCESSING,
                holdout.summary(), lineage, System.currentTimeMillis(), files, calibration, operatingPoint));
    }

    public static ResNetSpec spec(ModelManifest manifest) {
        if (!ARCHITECTURE.equals(manifest.architecture().name())) {
            throw new IllegalArgumentException("version " + manifest.version() + " is a " + manifest.architecture().name()
                    + ", this trainer builds " + ARCHITECTURE);
        }
        return new ResNetSpec(manifest.classes(), manifest.inputSize(), manifest.architecture().width(),
                manifest.architecture().cifarStem());
    }
}
