package io.linesight.demo;

import io.linesight.common.FileTrees;
import io.linesight.common.HashSelection;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The demo's three shares of an ImageFolder: a fixed never-streamed slice (hash of seed + path) on which the
 * bootstrap and final versions are compared, a small labelled bootstrap share, and the frames the cameras stream.
 * The first two are written as folders of symbolic links, so the training CLI reads them like any data set.
 */
record DataSplit(List<String> classes, List<Image> streamed, Path holdoutDir, Path bootstrapDir, int holdoutCount) {

    record Image(Path path, String label) {
    }

    static DataSplit create(Path data, Path work, long seed, double holdoutFraction, int bootstrapPerClass) throws IOException {
        List<String> classes;
        try (Stream<Path> dirs = Files.list(data)) {
            classes = dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString()).filter(n -> !n.startsWith("."))
                    .sorted().toList();
        }
        if (classes.size() < 2) {
            throw new IllegalArgumentException(data + " must hold one folder per class (at least 2)");
        }
        Path holdoutDir = fresh(work.resolve("never-streamed"));
        Path bootstrapDir = fresh(work.resolve("bootstrap"));
        List<Image> streamed = new ArrayList<>();
        int holdout = 0;
        for (String label : classes) {
            Files.createDirectories(holdoutDir.resolve(label));
            Files.createDirectories(bootstrapDir.resolve(label));
            int bootstrap = 0;
            List<Path> files;
            try (Stream<Path> list = Files.list(data.resolve(label))) {
                files = list.filter(DataSplit::isImage).sorted().toList();
            }
            for (Path file : files) {
                String key = seed + "/" + label + "/" + file.getFileName();
                if (HashSelection.fraction(key) < holdoutFraction) {
                    Files.createSymbolicLink(holdoutDir.resolve(label).resolve(file.getFileName()), file.toAbsolutePath());
                    holdout++;
                } else if (bootstrap < bootstrapPerClass) {
                    Files.createSymbolicLink(bootstrapDir.resolve(label).resolve(file.getFileName()), file.toAbsolutePath());
                    bootstrap++;
                } else {
                    streamed.add(new Image(file, label));
                }
            }
        }
        return new DataSplit(classes, streamed, holdoutDir, bootstrapDir, holdout);
    }

    private static boolean isImage(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".jpg") || name.endsWith(".jpeg") || name.endsWith(".png") || name.endsWith(".bmp");
    }

    private static Path fresh(Path dir) throws IOException {
        FileTrees.deleteRecursively(dir);
        return Files.createDirectories(dir);
    }
}
