package io.linesight.training.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.linesight.common.ImageFolder;
import io.linesight.localstack.ImageSamples;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageSetTest {
    @TempDir
    Path root;

    @Test
    void nonImagesAreSkippedAndUnreadableImagesCounted() throws IOException {
        Files.createDirectories(root.resolve("patches"));
        Files.write(root.resolve("patches/patches_1.jpg"), ImageSamples.neuImage("patches", 1));
        Files.createDirectories(root.resolve("inclusion"));
        Files.write(root.resolve("inclusion/inclusion_1.jpg"), ImageSamples.neuImage("inclusion", 1));
        Files.write(root.resolve("patches/placeholder.gif"), "GIF89a".getBytes());
        Files.write(root.resolve("inclusion/broken.jpg"), ImageSamples.truncatedJpeg());

        ImageFolder.Split split = ImageFolder.scan(root, 0.0);
        ImageSet set = ImageSet.load(split.train(), 32, 2, "test");

        assertEquals(1, split.skipped().size());
        assertEquals(2, set.size());
        assertEquals(1, set.failures().size());
        assertTrue(set.failures().get(0).contains("broken.jpg"), set.failures().toString());
    }
}
