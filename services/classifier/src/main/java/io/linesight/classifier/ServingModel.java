package io.linesight.classifier;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import ai.djl.util.PairList;
import io.linesight.common.ServingSignature;
import io.linesight.common.registry.ModelManifest;
import io.linesight.common.registry.ModelRegistry;
import io.linesight.proto.ModelVersion;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One loaded version: a DJL TensorFlow model and its predictor, used by one inference thread. Reference
 * counted so a swap closes it only after its in-flight batch (the manager holds one reference).
 */
final class ServingModel {
    @SuppressWarnings("unchecked")
    private static final Class<List<byte[]>> IMAGES = (Class<List<byte[]>>) (Class<?>) List.class;
    @SuppressWarnings("unchecked")
    private static final Class<List<ModelAnswer>> ANSWERS = (Class<List<ModelAnswer>>) (Class<?>) List.class;
    private final ModelVersion version;
    private final String manifestSha256;
    private final DecisionRule decisions;
    private final ZooModel<List<byte[]>, List<ModelAnswer>> model;
    private final Predictor<List<byte[]>, List<ModelAnswer>> predictor;
    private final AtomicInteger references = new AtomicInteger(1);

    private ServingModel(ModelVersion version, String manifestSha256, DecisionRule decisions,
            ZooModel<List<byte[]>, List<ModelAnswer>> model) {
        this.version = version;
        this.manifestSha256 = manifestSha256;
        this.decisions = decisions;
        this.model = model;
        this.predictor = model.newPredictor();
    }

    /**
     * Loads the serving signature and proves it with warm-up batches of the pointer's input size: a model with
     * another input shape or class count is refused here, before it can serve.
     */
    static ServingModel load(Path versionDir, ModelVersion version, Device device, int warmupBatch)
            throws ModelRejectedException {
        Path servingDir = versionDir.resolve(ModelManifest.SERVING_DIR);
        String manifestSha256;
        double temperature;
        DecisionRule decisions;
        try {
            manifestSha256 = ModelRegistry.sha256(versionDir.resolve(ModelManifest.FILE_NAME));
            ModelManifest manifest = ModelRegistry.readManifest(versionDir);
            temperature = ModelManifest.Calibration.temperatureOf(manifest);
            decisions = DecisionRule.of(manifest);
        } catch (IOException e) {
            throw new ModelRejectedException("missing_files", "cannot read the manifest of version " + version.getVersion(), e);
        }
        Criteria<List<byte[]>, List<ModelAnswer>> criteria = Criteria.builder().setTypes(IMAGES, ANSWERS)
                .optModelPath(servingDir).optEngine("TensorFlow").optDevice(device)
                .optOption("Tags", ServingSignature.TAG).optOption("SignatureDefKey", ServingSignature.KEY)
                .optTranslator(new FrameTranslator(version.getInputSize(), temperature)).build();
        ZooModel<List<byte[]>, List<ModelAnswer>> model;
        try {
            model = criteria.loadModel();
        } catch (IOException | ModelNotFoundException | MalformedModelException | RuntimeException e) {
            throw new ModelRejectedException("unloadable", "cannot load " + servingDir + ": " + e.getMessage(), e);
        }
        checkDeclaredInput(model, version);
        ServingModel serving = new ServingModel(version, manifestSha256, decisions, model);
        try {
            // A mistyped signature key silently binds another signature in DJL: check what this one returns.
            int size = version.getInputSize();
            List<byte[]> blank = Collections.nCopies(warmupBatch, new byte[size * size * 3]);
            // Two passes: the first builds TensorFlow's kernels, the second proves they run at full speed.
            for (int i = 0; i < 2; i++) {
                for (ModelAnswer answer : serving.predict(blank)) {
                    if (answer.probabilities().length != version.getClassesCount()) {
                        throw new ModelRejectedException("class_count", "version " + version.getVersion() + " outputs "
                                + answer.probabilities().length + " classes but its manifest lists " + version.getClassesCount());
                    }
                }
            }
            return serving;
        } catch (TranslateException | RuntimeException e) {
            serving.retire();
            throw new ModelRejectedException("input_shape", "version " + version.getVersion() + " does not run on "
                    + version.getInputSize() + "x" + version.getInputSize() + " RGB input: " + e.getMessage(), e);
        } catch (ModelRejectedException e) {
            serving.retire();
            throw e;
        }
    }

    /**
     * A fully convolutional network runs on any image size, so the probe below would accept a manifest that
     * misstates it (and serve at the wrong resolution): the signature's declared [batch, H, W, 3] must match.
     */
    private static void checkDeclaredInput(ZooModel<List<byte[]>, List<ModelAnswer>> model, ModelVersion version) throws ModelRejectedException {
        Shape declared;
        try {
            PairList<String, Shape> inputs = model.describeInput();
            declared = inputs == null || inputs.size() != 1 ? null : inputs.get(0).getValue();
        } catch (RuntimeException unknown) {
            return; // the engine cannot describe this model: the probe decides
        }
        int size = version.getInputSize();
        if (declared != null && (declared.dimension() != 4 || !fits(declared.get(1), size) || !fits(declared.get(2), size)
                || !fits(declared.get(3), 3))) {
            model.close();
            throw new ModelRejectedException("input_shape", "version " + version.getVersion() + " declares input " + declared
                    + " but its manifest says " + size + "x" + size + " RGB");
        }
    }

    /** A declared dimension matches when equal, or when left open (-1). */
    private static boolean fits(long declared, int expected) {
        return declared < 0 || declared == expected;
    }

    ModelVersion version() {
        return version;
    }

    /** SHA-256 of the version's manifest: names it in cache keys, whatever its number. */
    String manifestSha256() {
        return manifestSha256;
    }

    /** Its OK / NG / RECHECK rule; null when the version names no good class. */
    DecisionRule decisions() {
        return decisions;
    }

    /** Answers per image, in the order of the input. */
    List<ModelAnswer> predict(List<byte[]> rgbImages) throws TranslateException {
        return predictor.predict(rgbImages);
    }

    /** Takes a reference for one batch; false once the model was retired and drained. */
    boolean tryAcquire() {
        while (true) {
            int count = references.get();
            if (count == 0) {
                return false;
            }
            if (references.compareAndSet(count, count + 1)) {
                return true;
            }
        }
    }

    /** Gives back a batch reference (or, from the manager, its own); the last one closes the native model. */
    void release() {
        if (references.decrementAndGet() == 0) {
            predictor.close();
            model.close();
        }
    }

    /** Called by the manager when a newer version replaced this one. */
    void retire() {
        release();
    }
}
