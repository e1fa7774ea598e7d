package io.linesight.training.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.linesight.common.registry.ModelManifest;
import io.linesight.common.registry.ModelRegistry;
import io.linesight.common.registry.ModelVerificationException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryPublisherTest {
    @TempDir
    Path root;

    private final ModelManifest.Architecture arch = new ModelManifest.Architecture("resnet18", 8, true);

    @Test
    void publishedVersionVerifiesAndTamperingIsCaught() throws Exception {
        ModelRegistry registry = new ModelRegistry(root);
        publish(new RegistryPublisher(registry), 1, dir -> write(dir.resolve("serving/weights.bin"), "weights"));

        Path version = registry.versionDir("m", 1);
        assertEquals(1, ModelRegistry.verify(version).version());
        assertEquals(List.of(1), registry.versions("m"));

        write(version.resolve("serving/weights.bin"), "poisoned");
        ModelVerificationException e = assertThrows(ModelVerificationException.class, () -> ModelRegistry.verify(version));
        assertTrue(e.getMessage().contains("serving/weights.bin"), e.getMessage());
    }

    @Test
    void publishInterruptedHalfWayLeavesNoVisibleVersion() throws Exception {
        ModelRegistry registry = new ModelRegistry(root);
        RegistryPublisher publisher = new RegistryPublisher(registry);

        assertThrows(IOException.class, () -> publish(publisher, 1, dir -> {
            write(dir.resolve("serving/weights.bin"), "half of it");
            throw new IOException("disk full");
        }));

        assertEquals(List.of(), registry.versions("m"));
        try (Stream<Path> left = Files.list(root.resolve("m"))) {
            assertEquals(0, left.count(), "no temp folder left behind");
        }
        assertEquals(1, publisher.nextVersion("m"));
    }

    @Test
    void existingVersionIsNeverOverwritten() throws Exception {
        RegistryPublisher publisher = new RegistryPublisher(new ModelRegistry(root));
        publish(publisher, 1, dir -> write(dir.resolve("a"), "first"));

        assertThrows(FileAlreadyExistsException.class, () -> publish(publisher, 1, dir -> write(dir.resolve("a"), "second")));

        assertEquals("first", Files.readString(root.resolve("m/1/a")));
        assertEquals(2, publisher.nextVersion("m"));
    }

    @Test
    void twoWritersTakingOneNumberOnASharedRegistryLeaveTheFirstVersionWhole() throws Exception {
        // Two trainer replicas on one registry volume: the second publishes the same number while the first is writing.
        RegistryPublisher first = new RegistryPublisher(new ModelRegistry(root));
        RegistryPublisher second = new RegistryPublisher(new ModelRegistry(root));

        assertThrows(IOException.class, () -> publish(first, 1, dir -> {
            write(dir.resolve("a"), "first");
            publish(second, 1, other -> write(other.resolve("a"), "second"));
        }));

        assertEquals("second", Files.readString(root.resolve("m/1/a")), "the number belongs to the writer that took it first");
        assertEquals(1, ModelRegistry.verify(root.resolve("m/1")).version());
        assertEquals(2, first.nextVersion("m"));
    }

    private void publish(RegistryPublisher publisher, int version, RegistryPublisher.ArtifactWriter writer) throws IOException {
        publisher.publish("m", version, writer, files -> new ModelManifest("m", version, 0, List.of("a", "b"), 32, 3, arch,
                null, Map.of(), null, 0, files, null, null));
    }

    private static void write(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }
}
