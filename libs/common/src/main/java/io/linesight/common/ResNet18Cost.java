package io.linesight.common;

/**
 * Arithmetic cost of ResNet18, for benchmarks that report a ratio to the CPU's limit ({@link CpuInfo}).
 * Counts multiply-accumulates of every convolution and the fc layer (BN, ReLU and pooling are negligible):
 * 1.81 GMAC = 3.63 GFLOP for torchvision's ResNet18 at 224.
 */
public final class ResNet18Cost {
    private ResNet18Cost() {
    }

    /** FP32 FLOP of one forward pass (2 per multiply-accumulate). */
    public static double forwardFlops(int inputSize, int width, boolean cifarStem, int classes) {
        double macs = 0;
        int size = inputSize;
        if (cifarStem) {
            macs += conv(size, 3, 3, width, 1);
        } else {
            macs += conv(size, 7, 3, width, 2);
            size = out(size, 7, 2);
            size = (size + 2 - 3) / 2 + 1; // 3x3/2 max-pool, padding 1
        }
        int in = width;
        for (int layer = 1; layer <= 4; layer++) {
            int channels = width << (layer - 1);
            int stride = layer == 1 ? 1 : 2;
            macs += conv(size, 3, in, channels, stride);
            if (stride != 1 || in != channels) {
                macs += conv(size, 1, in, channels, stride);
            }
            size = out(size, 3, stride);
            macs += 3 * conv(size, 3, channels, channels, 1);
            in = channels;
        }
        macs += (double) in * classes;
        return 2 * macs;
    }

    private static double conv(int inputSize, int k, int in, int out, int stride) {
        int o = out(inputSize, k, stride);
        return (double) o * o * k * k * in * out;
    }

    private static int out(int size, int k, int stride) {
        return (size + 2 * (k / 2) - k) / stride + 1;
    }
}
