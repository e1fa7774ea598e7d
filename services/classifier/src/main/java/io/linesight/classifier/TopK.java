package io.linesight.classifier;

import io.linesight.proto.ClassScore;
import java.util.ArrayList;
import java.util.List;

/** The k most probable classes, highest first. */
final class TopK {
    private TopK() {
    }

    static List<ClassScore> of(float[] probabilities, List<String> classes, int k) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < probabilities.length; i++) {
            order.add(i);
        }
        order.sort((a, b) -> Float.compare(probabilities[b], probabilities[a]));
        return order.subList(0, Math.min(k, order.size())).stream()
                .map(i -> ClassScore.newBuilder().setClassIndex(i).setClassName(classes.get(i)).setProbability(probabilities[i]).build())
                .toList();
    }
}
