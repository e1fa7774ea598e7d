package io.linesight.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The simulated operator spends its budget over the run, not in its first minutes. */
class DemoPacingTest {
    @Test
    void aFifthAtOnceTheRestEvenlyUntilEightyPercentOfTheRun() {
        Demo demo = new Demo();
        new CommandLine(demo).parseArgs("--budget", "500");
        long run = 600_000;
        assertEquals(100, demo.labelsAllowed(0, run));
        assertEquals(300, demo.labelsAllowed(240_000, run));
        assertEquals(500, demo.labelsAllowed(480_000, run));
        assertEquals(500, demo.labelsAllowed(run, run));
    }
}
