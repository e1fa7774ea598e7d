package io.linesight.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ResNet18CostTest {
    @Test
    void torchvisionResNet18At224Is1Point81GigaMacs() {
        // torchvision publishes 1.81 GFLOPS (its "FLOPS" are multiply-accumulates): 1.814 GMAC.
        assertEquals(3.628e9, ResNet18Cost.forwardFlops(224, 64, false, 1000), 0.01e9);
    }

    @Test
    void costScalesWithInputAreaAndAboutWidthSquared() {
        double full = ResNet18Cost.forwardFlops(224, 64, false, 10);
        double halfWidth = ResNet18Cost.forwardFlops(224, 32, false, 10);
        // Every conv but the stem's (3 input channels) scales with width squared.
        double stem = 2.0 * 112 * 112 * 49 * 3 * 64;
        assertEquals((full - stem) / 4 + stem / 2, halfWidth, full * 0.001);
        assertEquals(full / 4, ResNet18Cost.forwardFlops(112, 64, false, 10), full * 0.02);
    }
}
