package io.linesight.training.model;

import java.util.List;

/**
 * The shape of one ResNet18: its classes (in output order), square input size, width (64 = torchvision's
 * ResNet18; smaller widths make fast test models) and stem (CIFAR-style 3x3/1 without max-pool for
 * small images, else torchvision's 7x7/2 + max-pool).
 */
public record ResNetSpec(List<String> classes, int inputSize, int width, boolean cifarStem) {
    public static final int DEFAULT_WIDTH = 64;

    public ResNetSpec {
        classes = List.copyOf(classes);
        if (classes.size() < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 classes, got " + classes);
        }
        int minSize = cifarStem ? 8 : 32;
        if (inputSize < minSize) {
            throw new IllegalArgumentException("input size " + inputSize + " is below " + minSize + " for this stem");
        }
        if (width < 1) {
            throw new IllegalArgumentException("width must be positive, got " + width);
        }
    }

    public int numClasses() {
        return classes.size();
    }

    /** Length of the embedding before the classifier head: 8 x width (512 for ResNet18). */
    public int embeddingSize() {
        return 8 * width;
    }
}
