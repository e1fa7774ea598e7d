package io.linesight.classifier;

import ai.djl.Device;

/** Picks the inference device: a GPU when one is visible (or demanded), the CPU otherwise. */
public final class DeviceSelection {
    /** The linesight.classifier.device setting. */
    public enum Mode {
        AUTO, CPU, GPU
    }

    private DeviceSelection() {
    }

    public static Device select(Mode mode, int visibleGpus) {
        return switch (mode) {
            case CPU -> Device.cpu();
            case GPU -> {
                if (visibleGpus < 1) {
                    throw new IllegalStateException("linesight.classifier.device=gpu but TensorFlow sees no GPU: the GPU "
                            + "build needs an NVIDIA driver, CUDA 12.1 and cuDNN 8.9 on the host; use auto or cpu to run on CPU");
                }
                yield Device.gpu(0);
            }
            case AUTO -> visibleGpus > 0 ? Device.gpu(0) : Device.cpu();
        };
    }
}
