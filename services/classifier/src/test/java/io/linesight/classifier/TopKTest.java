package io.linesight.classifier;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.linesight.proto.ClassScore;
import java.util.List;
import org.junit.jupiter.api.Test;

class TopKTest {
    @Test
    void highestProbabilitiesFirstWithNames() {
        List<ClassScore> top = TopK.of(new float[] {0.1f, 0.6f, 0.05f, 0.25f}, List.of("a", "b", "c", "d"), 3);

        assertEquals(List.of("b", "d", "a"), top.stream().map(ClassScore::getClassName).toList());
        assertEquals(List.of(1, 3, 0), top.stream().map(ClassScore::getClassIndex).toList());
        assertEquals(0.6f, top.get(0).getProbability());
    }

    @Test
    void kLargerThanClassCountReturnsAll() {
        assertEquals(2, TopK.of(new float[] {0.3f, 0.7f}, List.of("a", "b"), 5).size());
    }
}
