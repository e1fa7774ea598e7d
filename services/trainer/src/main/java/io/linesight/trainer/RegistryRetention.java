package io.linesight.trainer;

import io.linesight.common.FileTrees;
import io.linesight.common.registry.ModelRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * Registry retention: keeps the serving version, every newer one (a promotion may be under way), the
 * {@code keepPrevious} versions below it, its {@code keepPrevious} nearest ancestors (after a rollback to v3 and a
 * promotion of v11, v3 is the last good version, not v6-v10) and the pinned ones, and deletes the rest. A version is
 * first renamed out of sight (readers list only numbered folders), and never while it is what serves.
 */
final class RegistryRetention {
    private RegistryRetention() {
    }

    /** The versions that would go, oldest first. */
    static List<Integer> expired(List<Integer> versions, int serving, int keepPrevious, Set<Integer> pinned, Set<Integer> ancestors) {
        List<Integer> below = versions.stream().filter(v -> v < serving).sorted().toList();
        List<Integer> expired = new ArrayList<>(below.subList(0, Math.max(0, below.size() - keepPrevious)));
        expired.removeAll(pinned);
        expired.removeAll(ancestors);
        return expired;
    }

    /** The serving version's parent, grandparent, ... up to {@code depth} of them (manifests' parentVersion). */
    static Set<Integer> ancestors(ModelRegistry registry, String model, int serving, int depth) {
        Set<Integer> ancestors = new HashSet<>();
        int version = serving;
        while (ancestors.size() < depth) {
            try {
                version = registry.manifest(model, version).parentVersion();
            } catch (IOException missing) {
                break;
            }
            if (version <= 0 || !ancestors.add(version)) {
                break;
            }
        }
        return ancestors;
    }

    /** Deletes the expired versions of {@code model}; {@code serves} is asked again right before each deletion. */
    static List<Integer> apply(ModelRegistry registry, String model, int serving, int keepPrevious, Set<Integer> pinned,
            IntPredicate serves) throws IOException {
        List<Integer> deleted = new ArrayList<>();
        for (int version : expired(registry.versions(model), serving, keepPrevious, pinned, ancestors(registry, model, serving, keepPrevious))) {
            if (serves.test(version)) {
                continue;
            }
            Path dir = registry.versionDir(model, version);
            Path hidden = Files.move(dir, dir.resolveSibling(".deleting-" + version), StandardCopyOption.ATOMIC_MOVE);
            FileTrees.deleteRecursively(hidden);
            deleted.add(version);
        }
        return deleted;
    }
}
