package io.linesight.training.model;

import io.linesight.common.ServingSignature;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TUint8;

/**
 * The training graph: one inference forward (serving_default, and the frozen backbone of head-only
 * training), a forward with layer4 in training mode (last-stage) and one fully in training mode (full);
 * SGD with momentum, weight decay and optional global-norm gradient clipping per strategy, written by
 * hand: every update waits for every gradient, and BN running statistics are never differentiated.
 */
final class TrainingGraph {
    private TrainingGraph() {
    }

    /** Builds everything into {@code tf}'s graph and returns the signatures by key. */
    static Map<String, Signature> build(Ops tf, ResNet18Graph net, ResNetSpec spec) {
        Placeholder<TUint8> images = net.imagesInput();
        Placeholder<TInt32> labels = tf.withName("labels").placeholder(TInt32.class, Placeholder.shape(Shape.of(-1)));
        Placeholder<TFloat32> learningRate = tf.withName("learning_rate").placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
        Placeholder<TFloat32> weightDecay = tf.withName("weight_decay").placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
        Placeholder<TFloat32> clipNorm = tf.withName("clip_norm").placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
        Operand<TFloat32> x = net.normalise(images);

        Operand<TFloat32> frozenLayer3 = net.features(x, 0, 3, 5, new ArrayList<>());
        ResNet18Graph.Forward inference = net.head(net.features(frozenLayer3, 4, 4, 5, new ArrayList<>()), List.of());
        List<Op> lastStageStats = new ArrayList<>();
        ResNet18Graph.Forward lastStage = net.head(net.features(frozenLayer3, 4, 4, 4, lastStageStats), lastStageStats);
        List<Op> fullStats = new ArrayList<>();
        ResNet18Graph.Forward full = net.head(net.features(x, 0, 4, 0, fullStats), fullStats);

        Map<String, Signature> signatures = new LinkedHashMap<>();
        signatures.put(ServingSignature.KEY, net.servingSignature(images, inference));
        Map<Strategy, ResNet18Graph.Forward> forwards = Map.of(Strategy.HEAD, inference, Strategy.LAST_STAGE, lastStage,
                Strategy.FULL, full);
        for (Strategy strategy : Strategy.values()) {
            ResNet18Graph.Forward forward = forwards.get(strategy);
            signatures.put(strategy.signatureKey(), trainSignature(tf.withSubScope(strategy.signatureKey()), net, spec,
                    strategy, forward, images, labels, learningRate, weightDecay, clipNorm));
            if (strategy.recalibrationKey() != null) {
                Operand<TFloat32> logits = tf.withSubScope(strategy.recalibrationKey())
                        .withControlDependencies(forward.statUpdates()).withName(ServingSignature.LOGITS).identity(forward.logits());
                signatures.put(strategy.recalibrationKey(), Signature.builder().key(strategy.recalibrationKey())
                        .input(ServingSignature.INPUT, images).output(ServingSignature.LOGITS, logits).build());
            }
        }
        return signatures;
    }

    private static Signature trainSignature(Ops tf, ResNet18Graph net, ResNetSpec spec, Strategy strategy,
            ResNet18Graph.Forward forward, Placeholder<TUint8> images, Placeholder<TInt32> labels,
            Placeholder<TFloat32> learningRate, Placeholder<TFloat32> weightDecay, Placeholder<TFloat32> clipNorm) {
        // Dense softmax cross-entropy on one-hot labels: the sparse op has no graph gradient in TF Java.
        Operand<TFloat32> oneHot = tf.oneHot(labels, tf.constant(spec.numClasses()), tf.constant(1f), tf.constant(0f));
        Operand<TFloat32> dataLoss = tf.math.mean(tf.nn.softmaxCrossEntropyWithLogits(forward.logits(), oneHot).loss(),
                tf.constant(0));

        List<String> trainable = new ArrayList<>();
        List<Operand<TFloat32>> decayed = new ArrayList<>();
        net.params().forEach((name, param) -> {
            if (param.kind() != ResNet18Graph.Kind.RUNNING_STAT && strategy.trains(name)) {
                trainable.add(name);
                if (param.kind() == ResNet18Graph.Kind.WEIGHT) {
                    decayed.add(tf.nn.l2Loss(param.variable()));
                }
            }
        });
        Operand<TFloat32> loss = tf.math.add(dataLoss, tf.math.mul(weightDecay, tf.math.addN(decayed)));

        List<Operand<?>> variables = trainable.stream().<Operand<?>>map(n -> net.params().get(n).variable()).toList();
        List<Output<?>> gradients = tf.gradients(loss, variables).dy();
        // Global-norm clipping: scale = min(1, clip_norm / norm); an infinite clip_norm leaves gradients as they are.
        List<Operand<TFloat32>> halfSquares = new ArrayList<>();
        for (Output<?> gradient : gradients) {
            @SuppressWarnings("unchecked")
            Operand<TFloat32> g = (Operand<TFloat32>) gradient;
            halfSquares.add(tf.nn.l2Loss(g));
        }
        Operand<TFloat32> gradientNorm = tf.withName("gradient_norm").math.sqrt(
                tf.math.mul(tf.constant(2f), tf.math.addN(halfSquares)));
        Operand<TFloat32> clipScale = tf.math.minimum(tf.constant(1f),
                tf.math.div(clipNorm, tf.math.maximum(gradientNorm, tf.constant(1e-12f))));
        Ops afterAllGradients = tf.withControlDependencies(new ArrayList<Op>(gradients));
        List<Op> updates = new ArrayList<>(forward.statUpdates());
        for (int i = 0; i < trainable.size(); i++) {
            String name = trainable.get(i);
            @SuppressWarnings("unchecked")
            Operand<TFloat32> gradient = (Operand<TFloat32>) gradients.get(i);
            updates.add(afterAllGradients.train.applyMomentum(net.params().get(name).variable(), net.momentumSlot(name),
                    learningRate, afterAllGradients.math.mul(gradient, clipScale),
                    afterAllGradients.constant(ResNet18Graph.SGD_MOMENTUM)));
        }
        // The reported loss is the cross-entropy alone, comparable with validation loss; decay is a fixed penalty on top.
        Operand<TFloat32> stepLoss = tf.withControlDependencies(updates).withName("loss").identity(dataLoss);
        Operand<TFloat32> accuracy = tf.withName("accuracy").math.mean(tf.dtypes.cast(tf.math.equal(
                tf.math.argMax(forward.logits(), tf.constant(1), TInt32.class), labels), TFloat32.class), tf.constant(0));
        return Signature.builder().key(strategy.signatureKey())
                .input(ServingSignature.INPUT, images).input("labels", labels)
                .input("learning_rate", learningRate).input("weight_decay", weightDecay).input("clip_norm", clipNorm)
                .output("loss", stepLoss).output("accuracy", accuracy).output("gradient_norm", gradientNorm)
                .build();
    }
}
