package io.linesight.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.linesight.common.registry.ModelRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryRetentionTest {
    @TempDir
    Path root;

    @Test
    void keepsServingNewerPreviousAndPinnedVersions() throws Exception {
        ModelRegistry registry = new ModelRegistry(root);
        for (int version = 1; version <= 8; version++) {
            Files.createDirectories(registry.versionDir("m", version).resolve("serving"));
            Files.writeString(registry.versionDir("m", version).resolve("manifest.json"), "{}");
        }
        assertEquals(List.of(2, 4), RegistryRetention.expired(registry.versions("m"), 7, 2, Set.of(1, 3)));

        // Version 4 serves again (a rollback arrived): it is skipped, whatever the list said.
        assertEquals(List.of(2), RegistryRetention.apply(registry, "m", 7, 2, Set.of(1, 3), v -> v == 4));
        assertEquals(List.of(1, 3, 4, 5, 6, 7, 8), registry.versions("m"));
        try (var left = Files.list(root.resolve("m"))) {
            assertEquals(7, left.count(), "nothing half-deleted is left beside the versions");
        }
    }
}
