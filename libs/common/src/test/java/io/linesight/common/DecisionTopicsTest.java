package io.linesight.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class DecisionTopicsTest {
    @Test
    void idsFromKafkaCannotAddLevelsOrWildcards() {
        assertEquals("linesight/line-7/cam.1:a/decision", DecisionTopics.of("line-7", "cam.1:a"));
        assertEquals("linesight/a_b_c/__/decision", DecisionTopics.of("a/b+c", "#/"));
        assertEquals("linesight/unassigned/cam-1/decision", DecisionTopics.of("", "cam-1"));
    }
}
