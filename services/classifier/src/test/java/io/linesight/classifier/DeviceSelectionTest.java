package io.linesight.classifier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

class DeviceSelectionTest {
    @Test
    void autoTakesTheFirstGpuWhenOneIsVisible() {
        assertEquals(Device.gpu(0), DeviceSelection.select(DeviceSelection.Mode.AUTO, 2));
        assertEquals(Device.cpu(), DeviceSelection.select(DeviceSelection.Mode.AUTO, 0));
    }

    @Test
    void cpuCanBeForcedOnAGpuMachine() {
        assertEquals(Device.cpu(), DeviceSelection.select(DeviceSelection.Mode.CPU, 4));
    }

    @Test
    void demandingAGpuWithoutOneFailsWithWhatIsNeeded() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> DeviceSelection.select(DeviceSelection.Mode.GPU, 0));
        assertTrue(e.getMessage().contains("CUDA 12.1") && e.getMessage().contains("cuDNN 8.9"), e.getMessage());
        assertEquals(Device.gpu(0), DeviceSelection.select(DeviceSelection.Mode.GPU, 1));
    }
}
