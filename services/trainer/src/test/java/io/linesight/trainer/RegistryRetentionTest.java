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
        // 1 <- 2 <- 3 <- 4 <- 5 <- 6; rolled back from 6 to 2, then 7 was trained from 2 and 8 from 7.
        int[] parents = {0, 0, 1, 2, 3, 4, 5, 2, 7};
        for (int version = 1; version <= 8; version++) {
            Files.createDirectories(registry.versionDir("m", version).resolve("serving"));
            Files.writeString(registry.versionDir("m", version).resolve("manifest.json"), "{\"parentVersion\":" + parents[version] + "}");
        }
        assertEquals(List.of(1, 2, 3, 4), RegistryRetention.expired(registry.versions("m"), 7, 2, Set.of(), Set.of()));
        assertEquals(Set.of(7, 2), RegistryRetention.ancestors(registry, "m", 8, 2));

        // Serving 8: 7 and 6 are the two below it, 7 and 2 its ancestors, 1 is pinned; 4 serves again (a rollback
        // arrived), so it is skipped whatever the list said.
        assertEquals(List.of(3, 5), RegistryRetention.apply(registry, "m", 8, 2, Set.of(1), v -> v == 4));
        assertEquals(List.of(1, 2, 4, 6, 7, 8), registry.versions("m"));
        try (var left = Files.list(root.resolve("m"))) {
            assertEquals(6, left.count(), "nothing half-deleted is left beside the versions");
        }
    }
}
