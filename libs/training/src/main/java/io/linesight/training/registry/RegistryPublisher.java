package io.linesight.training.registry;

import io.linesight.common.FileTrees;
import io.linesight.common.registry.ManifestSignature;
import io.linesight.common.registry.ModelManifest;
import io.linesight.common.registry.ModelRegistry;
import io.linesight.common.registry.SigningKeys;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Publishes registry versions atomically: everything is written into a hidden temp folder beside the
 * versions, checksummed into manifest.json, fsynced, then renamed into place. A version is therefore
 * either complete or invisible, and an existing version is never overwritten. With a signing key the manifest is signed
 * (manifest.sig) inside the same rename.
 */
public final class RegistryPublisher {
    /** Writes a version's artifacts (serving/, training/, reports) into a folder. */
    public interface ArtifactWriter {
        void write(Path versionDir) throws IOException;
    }

    private final ModelRegistry registry;
    private final SigningKeys.SigningKey signingKey;

    /** Publishes unsigned versions: classifiers refuse them until a promote signs them. */
    public RegistryPublisher(ModelRegistry registry) {
        this(registry, null);
    }

    public RegistryPublisher(ModelRegistry registry, SigningKeys.SigningKey signingKey) {
        this.registry = registry;
        this.signingKey = signingKey;
    }

    /** The next free version number of a model (1 for a new model). */
    public int nextVersion(String model) throws IOException {
        List<Integer> versions = registry.versions(model);
        return versions.isEmpty() ? 1 : versions.get(versions.size() - 1) + 1;
    }

    /**
     * @param manifest builds the manifest from the checksummed file list of the written artifacts
     * @return the published manifest
     */
    public ModelManifest publish(String model, int version, ArtifactWriter writer,
            Function<List<ModelManifest.FileEntry>, ModelManifest> manifest) throws IOException {
        Path target = registry.versionDir(model, version);
        if (Files.exists(target)) {
            throw new FileAlreadyExistsException(target.toString(), null, "version " + version + " of " + model
                    + " is already published; versions are immutable");
        }
        Path modelDir = Files.createDirectories(target.getParent());
        Path temp = modelDir.resolve(".publishing-" + version + "-" + UUID.randomUUID());
        try {
            Files.createDirectories(temp);
            writer.write(temp);
            ModelManifest written = manifest.apply(ModelRegistry.describeFiles(temp));
            ModelRegistry.JSON.writeValue(temp.resolve(ModelManifest.FILE_NAME).toFile(), written);
            if (signingKey != null) {
                ManifestSignature.sign(temp, signingKey);
            }
            fsyncTree(temp);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            fsync(modelDir);
            return written;
        } finally {
            FileTrees.deleteRecursively(temp);
        }
    }

    private static void fsyncTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                fsync(p);
            }
        }
    }

    private static void fsync(Path path) throws IOException {
        // Directories are opened read-only: Linux lets a directory descriptor be fsynced.
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

}
