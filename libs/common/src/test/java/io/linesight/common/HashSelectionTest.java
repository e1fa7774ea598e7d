package io.linesight.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class HashSelectionTest {
    @Test
    void auditShareFollowsTheRate() {
        long audited = IntStream.range(0, 20_000).mapToObj(i -> UUID.nameUUIDFromBytes(("f" + i).getBytes()).toString())
                .filter(id -> HashSelection.isAudit(id, 0.2)).count();
        assertEquals(0.2, audited / 20_000.0, 0.015);
    }

    @Test
    void sameIdIsChosenTheSameWayEveryTime() {
        String id = "4f1c2b8e-0000-4000-8000-000000000001";
        assertEquals(HashSelection.fraction(id), HashSelection.fraction(id));
        assertTrue(HashSelection.fraction(id) >= 0 && HashSelection.fraction(id) < 1);
    }

    @Test
    void rateZeroAuditsNothingAndRateOneEverything() {
        assertFalse(HashSelection.isAudit("any", 0.0));
        assertTrue(HashSelection.isAudit("any", 1.0));
    }
}
