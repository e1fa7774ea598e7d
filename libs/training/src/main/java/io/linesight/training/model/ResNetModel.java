package io.linesight.training.model;

import io.linesight.common.FileTrees;
import io.linesight.common.ServingSignature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.GraphOperation;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TUint8;

/**
 * A trainable ResNet18 in a TensorFlow Java session: fresh from a seed, or resumed from a version's
 * training/ SavedModel. Both are driven through the same signatures, so a resumed model trains exactly as
 * the one that was exported. Images are uint8 RGB, NHWC, at the spec's input size (Images.toRgb).
 */
public final class ResNetModel implements AutoCloseable {
    /**
     * Loss and accuracy of one training batch (accuracy from the logits before the update) and the global
     * gradient norm before clipping (NaN for exports older than clipping).
     */
    public record StepResult(float loss, float accuracy, float gradientNorm) {
    }

    /**
     * Row-major [batch, classes] probabilities and logits, [batch, embedding] embeddings, and [batch, side, side]
     * activation maps of the top class (empty for exports from before them).
     */
    public record Outputs(int batch, float[] probabilities, float[] logits, float[] embeddings, float[] activationMaps) {
        /** Cells along one side of an image's activation map (0 when there is none). */
        public int mapSide() {
            return (int) Math.round(Math.sqrt((double) activationMaps.length / batch));
        }
    }

    private final ResNetSpec spec;
    private final Graph ownedGraph;
    private final SavedModelBundle bundle;
    private final Session session;
    private final Map<String, Signature> signatures;
    private final long parameterCount;

    private ResNetModel(ResNetSpec spec, Graph ownedGraph, SavedModelBundle bundle, Session session,
            Map<String, Signature> signatures, long parameterCount) {
        this.spec = spec;
        this.ownedGraph = ownedGraph;
        this.bundle = bundle;
        this.session = session;
        this.signatures = signatures;
        this.parameterCount = parameterCount;
    }

    /** A new, seeded model: the same seed and spec give the same initial weights. */
    public static ResNetModel create(ResNetSpec spec, long seed, int threads) {
        Graph graph = new Graph();
        try {
            Ops tf = Ops.create(graph);
            ResNet18Graph net = new ResNet18Graph(tf, spec, seed, true);
            Map<String, Signature> signatures = TrainingGraph.build(tf, net, spec);
            Session session = new Session(graph, sessionConfig(threads));
            session.initialize();
            return new ResNetModel(spec, graph, null, session, signatures, net.parameterCount());
        } catch (RuntimeException e) {
            graph.close();
            throw e;
        }
    }

    /** Resumes from a training/ SavedModel written by {@link #exportTraining}. */
    public static ResNetModel loadTraining(Path trainingDir, ResNetSpec spec, int threads) {
        return load(trainingDir, spec, threads, Arrays.stream(Strategy.values()).map(Strategy::signatureKey).toList());
    }

    /** Loads a serving/ SavedModel for {@link #predict} only, exactly as the classifier will run it. */
    public static ResNetModel loadServing(Path servingDir, ResNetSpec spec, int threads) {
        return load(servingDir, spec, threads, List.of(ServingSignature.KEY));
    }

    private static ResNetModel load(Path dir, ResNetSpec spec, int threads, List<String> requiredSignatures) {
        SavedModelBundle bundle = SavedModelBundle.loader(dir.toString()).withTags(ServingSignature.TAG)
                .withConfigProto(sessionConfig(threads)).load();
        Map<String, Signature> signatures = new LinkedHashMap<>();
        bundle.signatures().forEach(s -> signatures.put(s.key(), s));
        for (String key : requiredSignatures) {
            if (!signatures.containsKey(key)) {
                bundle.close();
                throw new IllegalArgumentException(dir + " has no " + key + " signature: not a LineSight export of that kind");
            }
        }
        return new ResNetModel(spec, null, bundle, bundle.session(), signatures, -1);
    }

    public ResNetSpec spec() {
        return spec;
    }

    /** Trainable parameters (known for fresh models; -1 for resumed ones). */
    public long parameterCount() {
        return parameterCount;
    }

    /** One SGD step; {@code clipNorm} bounds the global gradient norm (infinite or <= 0: no clipping). */
    public StepResult trainStep(Strategy strategy, byte[] images, int[] labels, float learningRate, float weightDecay,
            float clipNorm) {
        Signature signature = signatures.get(strategy.signatureKey());
        // Training exports written before clipping existed have no clip_norm input: they train unclipped.
        boolean clipping = signature.inputNames().contains("clip_norm");
        try (TUint8 imageTensor = images(images, labels.length);
                TInt32 labelTensor = TInt32.vectorOf(labels);
                TFloat32 lr = TFloat32.scalarOf(learningRate);
                TFloat32 wd = TFloat32.scalarOf(weightDecay);
                TFloat32 clip = TFloat32.scalarOf(clipNorm > 0 ? clipNorm : Float.POSITIVE_INFINITY)) {
            Map<String, Tensor> inputs = new LinkedHashMap<>(Map.of(ServingSignature.INPUT, imageTensor, "labels", labelTensor,
                    "learning_rate", lr, "weight_decay", wd));
            if (clipping) {
                inputs.put("clip_norm", clip);
            }
            try (Result result = session.run(signature, inputs)) {
                return new StepResult(scalar(result, "loss"), scalar(result, "accuracy"),
                        clipping ? scalar(result, "gradient_norm") : Float.NaN);
            }
        }
    }

    /** Refreshes BN running statistics of the layers the strategy trains from one batch; no weight changes. */
    public void recalibrate(Strategy strategy, byte[] images, int batch) {
        if (strategy.recalibrationKey() == null) {
            return;
        }
        try (TUint8 imageTensor = images(images, batch);
                Result ignored = session.run(signatures.get(strategy.recalibrationKey()), Map.of(ServingSignature.INPUT, imageTensor))) {
            // Running the signature applied the updates.
        }
    }

    public Outputs predict(byte[] images, int batch) {
        try (TUint8 imageTensor = images(images, batch);
                Result result = session.run(signatures.get(ServingSignature.KEY), Map.of(ServingSignature.INPUT, imageTensor))) {
            float[] maps = result.get(ServingSignature.ACTIVATION_MAP).map(map -> toFloats((TFloat32) map)).orElse(new float[0]);
            return new Outputs(batch, floats(result, ServingSignature.PROBABILITIES), floats(result, ServingSignature.LOGITS),
                    floats(result, ServingSignature.EMBEDDING), maps);
        }
    }

    /** Current value of one variable by its torchvision-style name, e.g. "layer1.0.conv1.weight". */
    public float[] variable(String name) {
        try (Result result = session.runner().fetch(name).run()) {
            return toFloats((TFloat32) result.get(0));
        }
    }

    /** Shape of one variable, e.g. [7, 7, 3, 64] for "conv1.weight" (HWIO). */
    public long[] variableShape(String name) {
        return variableOutput(name).shape().asArray();
    }

    /**
     * Overwrites variables by name with row-major values in this graph's layout (HWIO convolutions,
     * [in, out] fc), all in one session run; the momentum slots are left as they are.
     */
    public void assign(Map<String, float[]> values) {
        Ops tf = Ops.create(session.graph());
        Session.Runner runner = session.runner();
        List<TFloat32> fed = new ArrayList<>();
        try {
            values.forEach((name, data) -> {
                Output<TFloat32> variable = variableOutput(name);
                Shape shape = variable.shape();
                if (shape.size() != data.length) {
                    throw new IllegalArgumentException(name + " holds " + shape.size() + " values, got " + data.length);
                }
                Placeholder<TFloat32> value = tf.placeholder(TFloat32.class, Placeholder.shape(shape));
                TFloat32 tensor = TFloat32.tensorOf(shape, DataBuffers.of(data, true, false));
                fed.add(tensor);
                runner.feed(value, tensor).addTarget(tf.assign(variable, value));
            });
            try (Result ignored = runner.run()) {
                // The assignments ran.
            }
        } finally {
            fed.forEach(TFloat32::close);
        }
    }

    /** Saves every variable to a checkpoint at {@code prefix} (best-epoch snapshots). */
    public void saveCheckpoint(Path prefix) {
        session.save(prefix.toString());
    }

    /** Restores every variable from a checkpoint written by {@link #saveCheckpoint}. */
    public void restoreCheckpoint(Path prefix) {
        session.restore(prefix.toString());
    }

    private Output<TFloat32> variableOutput(String name) {
        GraphOperation op = session.graph().operation(name);
        if (op == null || !op.type().equals("VariableV2")) {
            throw new IllegalArgumentException("the model has no variable " + name);
        }
        return op.output(0);
    }

    /** Every variable's name in this graph (parameters, running statistics, momentum slots). */
    public List<String> variableNames() {
        List<String> names = new ArrayList<>();
        session.graph().operations().forEachRemaining(op -> {
            if (op.type().equals("VariableV2")) {
                names.add(op.name());
            }
        });
        return names;
    }

    /** The whole training state (weights, BN statistics, momentum, all signatures) as a SavedModel. */
    public void exportTraining(Path dir) throws IOException {
        SavedModelBundle.exporter(dir.toString()).withSession(session)
                .withSignatures(signatures.values().toArray(Signature[]::new)).export();
    }

    /**
     * An inference-only SavedModel (serving_default: images -> probabilities, logits, embedding, activation_map) holding
     * the current weights and no optimizer state: a fresh inference graph restored from a checkpoint.
     */
    public void exportServing(Path dir) throws IOException {
        Path checkpoint = Files.createTempDirectory("linesight-checkpoint");
        try {
            String prefix = checkpoint.resolve("weights").toString();
            session.save(prefix);
            try (Graph graph = new Graph()) {
                Ops tf = Ops.create(graph);
                ResNet18Graph net = new ResNet18Graph(tf, spec, 0, false);
                var images = net.imagesInput();
                Signature serving = net.servingSignature(images, net.inference(net.normalise(images)));
                try (Session serve = new Session(graph, sessionConfig(1))) {
                    serve.restore(prefix);
                    SavedModelBundle.exporter(dir.toString()).withSession(serve).withSignature(serving).export();
                }
            }
        } finally {
            FileTrees.deleteRecursively(checkpoint);
        }
    }

    @Override
    public void close() {
        if (bundle != null) {
            bundle.close();
        } else {
            session.close();
            ownedGraph.close();
        }
    }

    static ConfigProto sessionConfig(int threads) {
        return ConfigProto.newBuilder().setIntraOpParallelismThreads(threads).setInterOpParallelismThreads(2).build();
    }

    private TUint8 images(byte[] pixels, int batch) {
        int size = spec.inputSize();
        long expected = (long) batch * size * size * 3;
        if (pixels.length != expected) {
            throw new IllegalArgumentException("expected " + batch + " RGB images of " + size + "x" + size + " ("
                    + expected + " bytes), got " + pixels.length + " bytes");
        }
        return TUint8.tensorOf(Shape.of(batch, size, size, 3), DataBuffers.of(pixels, true, false));
    }

    private static float scalar(Result result, String key) {
        return ((TFloat32) output(result, key)).getFloat();
    }

    private static float[] floats(Result result, String key) {
        return toFloats((TFloat32) output(result, key));
    }

    private static Tensor output(Result result, String key) {
        return result.get(key).orElseThrow(() -> new IllegalStateException("signature returned no " + key));
    }

    private static float[] toFloats(TFloat32 tensor) {
        float[] out = new float[(int) tensor.size()];
        tensor.copyTo(DataBuffers.of(out, false, false));
        return out;
    }

}
