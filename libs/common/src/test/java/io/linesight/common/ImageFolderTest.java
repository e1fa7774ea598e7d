package io.linesight.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.linesight.localstack.ImageSamples;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderTest {
    @TempDir
    Path root;

    @Test
    void classFoldersAreSplitDeterministicallyByPath() throws IOException {
        for (String c : List.of("scratches", "crazing")) {
            for (int i = 1; i <= 20; i++) {
                copyNeu(c, i, root.resolve(c));
            }
        }

        ImageFolder.Split first = ImageFolder.scan(root, 0.25);
        ImageFolder.Split again = ImageFolder.scan(root, 0.25);

        assertEquals(List.of("crazing", "scratches"), first.classes());
        assertEquals(40, first.train().size() + first.validation().size());
        assertTrue(first.validation().size() > 3 && first.validation().size() < 20, "about a quarter held out");
        assertEquals(first.validation(), again.validation());
    }

    @Test
    void trainAndTestFoldersAreUsedAsGiven() throws IOException {
        copyNeu("patches", 1, root.resolve("train/patches"));
        copyNeu("inclusion", 1, root.resolve("train/inclusion"));
        copyNeu("patches", 2, root.resolve("test/patches"));

        ImageFolder.Split split = ImageFolder.scan(root, 0.5);

        assertEquals(List.of("inclusion", "patches"), split.classes());
        assertEquals(2, split.train().size());
        assertEquals(1, split.validation().size());
        assertEquals(1, split.validation().get(0).label());
    }

    @Test
    void nestedFoldersAreRefusedWithTheirPath() throws IOException {
        copyNeu("patches", 1, root.resolve("patches"));
        copyNeu("inclusion", 1, root.resolve("inclusion/more"));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ImageFolder.scan(root, 0.2));
        assertTrue(e.getMessage().contains("nested folder") && e.getMessage().contains("more"), e.getMessage());
    }

    @Test
    void fewerThanTwoClassesIsAClearError() throws IOException {
        copyNeu("patches", 1, root.resolve("patches"));
        assertThrows(IllegalArgumentException.class, () -> ImageFolder.scan(root, 0.2));
        assertThrows(IllegalArgumentException.class, () -> ImageFolder.scan(root.resolve("missing"), 0.2));
    }

    private static void copyNeu(String defect, int number, Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.write(dir.resolve(defect + "_" + number + ".jpg"), ImageSamples.neuImage(defect, number));
    }
}
