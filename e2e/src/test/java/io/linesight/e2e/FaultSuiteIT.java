package io.linesight.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.linesight.faults.FaultSuite;
import io.linesight.faults.Row;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The CI subset of ./run faults: real processes killed, frozen and attacked; every row must hold and lose nothing. */
class FaultSuiteIT {
    @Test
    void everyFaultHoldsWithoutLosingAnAcknowledgedFrameOrLabel() throws Exception {
        List<Row> rows = FaultSuite.run(Path.of("target/faults").toAbsolutePath(), true, List.of());

        assertTrue(rows.size() >= 8, "faults run: " + rows);
        for (Row row : rows) {
            assertEquals(0, row.lost(), row.scenario() + " lost frames: " + row);
            assertEquals(0, row.labelsLost(), row.scenario() + " lost labels: " + row);
            assertTrue(row.passed(), row.scenario() + " did not hold: " + row.figures());
        }
    }
}
