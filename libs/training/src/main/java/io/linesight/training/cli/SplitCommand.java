package io.linesight.training.cli;

import io.linesight.common.FileTrees;
import io.linesight.common.HashSelection;
import io.linesight.common.ImageFolder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "split", mixinStandardHelpOptions = true,
        description = {"Splits an image folder of class folders into two folders of symbolic links, by hash of each file's",
                "path: <out>/test holds the --test-fraction share, <out>/trainval the rest. Train on trainval (its",
                "validation share, on which calibration and the operating point are fitted, is chosen by another hash),",
                "then evaluate on test: images neither the training nor the fits saw."})
final class SplitCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, description = "Image folder: one folder per class.")
    Path data;

    @Option(names = "--out", required = true, description = "Folder to write trainval/ and test/ into (replaced).")
    Path out;

    @Option(names = "--test-fraction", defaultValue = "0.3", description = "Share of the images in test/ (default: ${DEFAULT-VALUE}).")
    double testFraction;

    @Override
    public Integer call() throws Exception {
        ImageFolder.Split all = ImageFolder.scan(data, 0);
        if (!all.validation().isEmpty()) {
            throw new IllegalArgumentException(data + " already has a train/ + val/ or test/ layout: split one folder of class folders");
        }
        FileTrees.deleteRecursively(out);
        int test = 0;
        for (ImageFolder.Item item : all.train()) {
            // Salted: ImageFolder's own validation hash of the same path must not line up with this split.
            boolean toTest = HashSelection.fraction("split:" + item.relativePath()) < testFraction;
            Path link = out.resolve(toTest ? "test" : "trainval").resolve(item.relativePath());
            Files.createDirectories(link.getParent());
            Files.createSymbolicLink(link, item.path().toAbsolutePath());
            test += toTest ? 1 : 0;
        }
        System.out.printf("split %s (%d classes): %d images in %s, %d in %s%n", data, all.classes().size(),
                all.train().size() - test, out.resolve("trainval"), test, out.resolve("test"));
        return 0;
    }
}
