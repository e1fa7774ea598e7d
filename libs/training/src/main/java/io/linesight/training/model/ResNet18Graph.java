package io.linesight.training.model;

import io.linesight.common.ServingSignature;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.nn.FusedBatchNorm;
import org.tensorflow.op.random.RandomStandardNormal;
import org.tensorflow.op.random.RandomUniform;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.TUint8;

/**
 * Builds ResNet18 in torchvision's layout and parameter names (conv1.weight, bn1.running_mean,
 * layer1.0.conv1.weight, ..., fc.weight) into a TensorFlow graph, NHWC. Convolutions pad explicitly and
 * run VALID, as torchvision does. Variables are created once and shared by every forward pass built.
 */
final class ResNet18Graph {
    static final float BN_EPSILON = 1e-5f;
    /** PyTorch's BN momentum: running = 0.9 running + 0.1 batch. */
    static final float BN_MOMENTUM = 0.1f;
    static final float SGD_MOMENTUM = 0.9f;
    static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    /** How a variable takes part in training. */
    enum Kind {
        /** Conv and fc weights: trained, weight-decayed. */
        WEIGHT,
        /** BN scale/shift and fc bias: trained, not decayed. */
        PARAMETER,
        /** BN running statistics: updated by batches in training mode, never by gradients. */
        RUNNING_STAT
    }

    record Param(Variable<TFloat32> variable, Kind kind) {
    }

    /** Outputs of one forward pass; {@code features} is layer4's [n, h, w, channels] output. */
    record Forward(Operand<TFloat32> features, Operand<TFloat32> logits, Operand<TFloat32> embedding, List<Op> statUpdates) {
    }

    private final Ops tf;
    private final ResNetSpec spec;
    private final long seed;
    private final boolean initializers;
    private final Map<String, Param> params = new LinkedHashMap<>();
    private final Map<String, Variable<TFloat32>> momentumSlots = new LinkedHashMap<>();

    /**
     * @param initializers create seeded initializers (fresh model); without them the variables must be
     *     restored from a checkpoint (serving export)
     */
    ResNet18Graph(Ops tf, ResNetSpec spec, long seed, boolean initializers) {
        this.tf = tf;
        this.spec = spec;
        this.seed = seed;
        this.initializers = initializers;
    }

    Map<String, Param> params() {
        return params;
    }

    Placeholder<TUint8> imagesInput() {
        return tf.withName(ServingSignature.INPUT).placeholder(TUint8.class,
                Placeholder.shape(Shape.of(-1, spec.inputSize(), spec.inputSize(), 3)));
    }

    /** RGB uint8 -> float, scaled to [0,1] and ImageNet-normalised: inside the graph, so serving cannot skew. */
    Operand<TFloat32> normalise(Operand<TUint8> images) {
        float[] scale = new float[3];
        float[] shift = new float[3];
        for (int c = 0; c < 3; c++) {
            scale[c] = 1f / (255f * IMAGENET_STD[c]);
            shift[c] = IMAGENET_MEAN[c] / IMAGENET_STD[c];
        }
        Operand<TFloat32> x = tf.dtypes.cast(images, TFloat32.class);
        return tf.math.sub(tf.math.mul(x, tf.constant(scale)), tf.constant(shift));
    }

    /**
     * The network up to and including {@code lastLayer} (0 = stem only) with BN in training mode from
     * {@code firstTrainingLayer} on (5 = inference everywhere); continuing from {@code from} when given.
     */
    Operand<TFloat32> features(Operand<TFloat32> input, int fromLayer, int lastLayer, int firstTrainingLayer,
            List<Op> statUpdates) {
        Operand<TFloat32> x = input;
        for (int layer = fromLayer; layer <= lastLayer; layer++) {
            boolean training = layer >= firstTrainingLayer;
            x = layer == 0 ? stem(x, training, statUpdates) : stage(layer, x, training, statUpdates);
        }
        return x;
    }

    /** Global average pool and the fc classifier on top of layer4's output. */
    Forward head(Operand<TFloat32> layer4, List<Op> statUpdates) {
        Operand<TFloat32> embedding = tf.math.mean(layer4, tf.constant(new int[] {1, 2}));
        int in = spec.embeddingSize();
        float bound = (float) (1 / Math.sqrt(in));
        Variable<TFloat32> weight = param("fc.weight", Shape.of(in, spec.numClasses()), Kind.WEIGHT, uniform(bound));
        Variable<TFloat32> bias = param("fc.bias", Shape.of(spec.numClasses()), Kind.PARAMETER, uniform(bound));
        Operand<TFloat32> logits = tf.nn.biasAdd(tf.linalg.matMul(embedding, weight), bias);
        return new Forward(layer4, logits, embedding, statUpdates);
    }

    /** The whole network in inference mode. */
    Forward inference(Operand<TFloat32> normalised) {
        return head(features(normalised, 0, 4, 5, new ArrayList<>()), List.of());
    }

    Signature servingSignature(Placeholder<TUint8> images, Forward forward) {
        return Signature.builder().key(ServingSignature.KEY)
                .input(ServingSignature.INPUT, images)
                .output(ServingSignature.PROBABILITIES, tf.withName(ServingSignature.PROBABILITIES).nn.softmax(forward.logits()))
                .output(ServingSignature.LOGITS, tf.withName(ServingSignature.LOGITS).identity(forward.logits()))
                .output(ServingSignature.EMBEDDING, tf.withName(ServingSignature.EMBEDDING).identity(forward.embedding()))
                .output(ServingSignature.ACTIVATION_MAP, tf.withName(ServingSignature.ACTIVATION_MAP).identity(activationMap(forward)))
                .build();
    }

    /**
     * The class activation map of each image's top class, [n, h, w]: layer4's features weighted by that class's fc
     * weight column. The logit is its mean plus the bias (the pool and fc are linear), so the map shows where the
     * evidence for the answer lies.
     */
    private Operand<TFloat32> activationMap(Forward forward) {
        Operand<TInt64> top = tf.math.argMax(forward.logits(), tf.constant(1));
        Operand<TFloat32> perClass = tf.linalg.transpose(params.get("fc.weight").variable(), tf.constant(new int[] {1, 0}));
        Operand<TFloat32> weights = tf.reshape(tf.gather(perClass, top, tf.constant(0)),
                tf.constant(new long[] {-1, 1, 1, spec.embeddingSize()}));
        return tf.sum(tf.math.mul(forward.features(), weights), tf.constant(3));
    }

    private Operand<TFloat32> stem(Operand<TFloat32> x, boolean training, List<Op> statUpdates) {
        Operand<TFloat32> y;
        if (spec.cifarStem()) {
            y = conv("conv1", x, 3, 3, spec.width(), 1);
            return relu(batchNorm("bn1", y, training, statUpdates));
        }
        y = relu(batchNorm("bn1", conv("conv1", x, 7, 3, spec.width(), 2), training, statUpdates));
        // Zero padding equals torchvision's -inf padding here: inputs are post-ReLU, so >= 0.
        return tf.nn.maxPool(pad(y, 1), tf.constant(new int[] {1, 3, 3, 1}), tf.constant(new int[] {1, 2, 2, 1}), "VALID");
    }

    private Operand<TFloat32> stage(int layer, Operand<TFloat32> x, boolean training, List<Op> statUpdates) {
        int out = spec.width() << (layer - 1);
        int in = layer == 1 ? spec.width() : out / 2;
        int stride = layer == 1 ? 1 : 2;
        Operand<TFloat32> y = basicBlock("layer" + layer + ".0", x, in, out, stride, training, statUpdates);
        return basicBlock("layer" + layer + ".1", y, out, out, 1, training, statUpdates);
    }

    private Operand<TFloat32> basicBlock(String name, Operand<TFloat32> x, int in, int out, int stride, boolean training,
            List<Op> statUpdates) {
        Operand<TFloat32> y = relu(batchNorm(name + ".bn1", conv(name + ".conv1", x, 3, in, out, stride), training, statUpdates));
        y = batchNorm(name + ".bn2", conv(name + ".conv2", y, 3, out, out, 1), training, statUpdates);
        Operand<TFloat32> shortcut = x;
        if (stride != 1 || in != out) {
            shortcut = batchNorm(name + ".downsample.1", conv(name + ".downsample.0", x, 1, in, out, stride), training, statUpdates);
        }
        return relu(tf.math.add(y, shortcut));
    }

    /** k x k convolution, no bias, padding k/2 on each side then VALID (torchvision's padding). */
    private Operand<TFloat32> conv(String name, Operand<TFloat32> x, int k, int in, int out, int stride) {
        // Kaiming normal, fan_out, as torchvision initialises ResNet convolutions.
        float std = (float) Math.sqrt(2.0 / ((double) out * k * k));
        Variable<TFloat32> weight = param(name + ".weight", Shape.of(k, k, in, out), Kind.WEIGHT, normal(std));
        Operand<TFloat32> padded = k > 1 ? pad(x, k / 2) : x;
        return tf.nn.conv2d(padded, weight, List.of(1L, (long) stride, (long) stride, 1L), "VALID");
    }

    private Operand<TFloat32> batchNorm(String name, Operand<TFloat32> x, boolean training, List<Op> statUpdates) {
        int channels = (int) x.shape().get(3);
        Shape shape = Shape.of(channels);
        Variable<TFloat32> gamma = param(name + ".weight", shape, Kind.PARAMETER, constant(1f));
        Variable<TFloat32> beta = param(name + ".bias", shape, Kind.PARAMETER, constant(0f));
        Variable<TFloat32> mean = param(name + ".running_mean", shape, Kind.RUNNING_STAT, constant(0f));
        Variable<TFloat32> variance = param(name + ".running_var", shape, Kind.RUNNING_STAT, constant(1f));
        FusedBatchNorm<TFloat32, TFloat32> bn = tf.nn.fusedBatchNorm(x, gamma, beta, mean, variance,
                FusedBatchNorm.epsilon(BN_EPSILON), FusedBatchNorm.isTraining(training));
        if (training) {
            // batchVariance is Bessel-corrected, like PyTorch's running_var update.
            statUpdates.add(movingAverage(mean, bn.batchMean()));
            statUpdates.add(movingAverage(variance, bn.batchVariance()));
        }
        return bn.y();
    }

    private Op movingAverage(Variable<TFloat32> running, Operand<TFloat32> batch) {
        Operand<TFloat32> delta = tf.math.mul(tf.math.sub(running, batch), tf.constant(BN_MOMENTUM));
        return tf.assignSub(running, delta);
    }

    private Operand<TFloat32> relu(Operand<TFloat32> x) {
        return tf.nn.relu(x);
    }

    private Operand<TFloat32> pad(Operand<TFloat32> x, int p) {
        return tf.pad(x, tf.constant(new int[][] {{0, 0}, {p, p}, {p, p}, {0, 0}}), tf.constant(0f));
    }

    private interface Init {
        Operand<TFloat32> create(Ops init, Shape shape, long opSeed);
    }

    private Variable<TFloat32> param(String name, Shape shape, Kind kind, Init init) {
        Param existing = params.get(name);
        if (existing != null) {
            return existing.variable();
        }
        Ops initScope = tf.withInitScope();
        Variable<TFloat32> variable = initScope.withName(name).variable(shape, TFloat32.class);
        if (initializers) {
            // The op seed comes from the name, so a variable's initial value does not depend on build order.
            long opSeed = name.hashCode() & 0x7fffffffL;
            initScope.withName(name + ".init").assign(variable, init.create(initScope, shape, opSeed));
        }
        params.put(name, new Param(variable, kind));
        return variable;
    }

    private Init normal(float std) {
        return (init, shape, opSeed) -> init.math.mul(init.random.randomStandardNormal(init.constant(shape.asArray()), TFloat32.class,
                RandomStandardNormal.seed(seed), RandomStandardNormal.seed2(opSeed)), init.constant(std));
    }

    private Init uniform(float bound) {
        return (init, shape, opSeed) -> init.math.sub(init.math.mul(init.random.randomUniform(init.constant(shape.asArray()),
                TFloat32.class, RandomUniform.seed(seed), RandomUniform.seed2(opSeed)), init.constant(2 * bound)), init.constant(bound));
    }

    private static Init constant(float value) {
        return (init, shape, opSeed) -> init.fill(init.constant(shape.asArray()), init.constant(value));
    }

    /** The SGD momentum accumulator of a parameter, named {@code <parameter>.momentum}; starts at zero. */
    Variable<TFloat32> momentumSlot(String paramName) {
        return momentumSlots.computeIfAbsent(paramName, name -> {
            Variable<TFloat32> param = params.get(name).variable();
            Ops initScope = tf.withInitScope();
            Variable<TFloat32> slot = initScope.withName(name + ".momentum").variable(param.shape(), TFloat32.class);
            initScope.withName(name + ".momentum.init").assign(slot, constant(0f).create(initScope, param.shape(), 0));
            return slot;
        });
    }

    /** Number of trainable parameters (running statistics excluded), as torchvision counts them. */
    long parameterCount() {
        return params.values().stream().filter(p -> p.kind() != Kind.RUNNING_STAT)
                .mapToLong(p -> p.variable().shape().size()).sum();
    }
}
