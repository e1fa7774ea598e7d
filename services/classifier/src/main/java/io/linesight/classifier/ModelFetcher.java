package io.linesight.classifier;

import io.linesight.common.FileTrees;
import io.linesight.common.registry.ModelManifest;
import io.linesight.common.registry.ModelRegistry;
import io.linesight.proto.ModelFile;
import io.linesight.proto.ModelVersion;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Brings a version's serving/ files and manifest from its artifact URI (file:// or http://) into a local
 * cache and verifies every SHA-256 against the pointer before anything loads them.
 */
final class ModelFetcher {
    private final Path cache;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    ModelFetcher(Path cache) {
        this.cache = cache;
    }

    /** The local folder holding serving/ and manifest.json of the version, verified. */
    Path fetch(ModelVersion pointer) throws ModelRejectedException {
        List<ModelFile> serving = pointer.getFilesList().stream().filter(f -> f.getPath().startsWith("serving/")).toList();
        if (serving.isEmpty()) {
            throw new ModelRejectedException("missing_files", "pointer of version " + pointer.getVersion() + " lists no serving/ files");
        }
        Path target = cache.resolve(pointer.getModelName()).resolve(Integer.toString(pointer.getVersion()));
        if (Files.isDirectory(target) && matches(target, serving)) {
            return target;
        }
        Path temp = cache.resolve(pointer.getModelName()).resolve(".fetching-" + UUID.randomUUID());
        try {
            URI base = URI.create(pointer.getArtifactUri().endsWith("/") ? pointer.getArtifactUri() : pointer.getArtifactUri() + "/");
            for (ModelFile file : serving) {
                copy(base.resolve(file.getPath()), temp.resolve(file.getPath()));
            }
            copy(base.resolve(ModelManifest.FILE_NAME), temp.resolve(ModelManifest.FILE_NAME));
            for (ModelFile file : serving) {
                String actual = ModelRegistry.sha256(temp.resolve(file.getPath()));
                if (!actual.equals(file.getSha256())) {
                    throw new ModelRejectedException("checksum", "version " + pointer.getVersion() + " file " + file.getPath()
                            + " has sha256 " + actual + ", the pointer says " + file.getSha256());
                }
            }
            ModelManifest manifest = ModelRegistry.readManifest(temp);
            if (manifest.version() != pointer.getVersion() || !manifest.classes().equals(pointer.getClassesList())
                    || manifest.inputSize() != pointer.getInputSize()) {
                throw new ModelRejectedException("manifest_mismatch", "manifest of version " + pointer.getVersion()
                        + " does not match its pointer (version, classes or input size)");
            }
            FileTrees.deleteRecursively(target);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            throw new ModelRejectedException("missing_files", "cannot fetch version " + pointer.getVersion() + " from "
                    + pointer.getArtifactUri() + ": " + e.getMessage(), e);
        } finally {
            try {
                FileTrees.deleteRecursively(temp);
            } catch (IOException ignored) {
                // A leftover temp folder is hidden and harmless; the next fetch uses a new one.
            }
        }
    }

    private static boolean matches(Path dir, List<ModelFile> files) {
        try {
            for (ModelFile file : files) {
                Path path = dir.resolve(file.getPath());
                if (!Files.isRegularFile(path) || !ModelRegistry.sha256(path).equals(file.getSha256())) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void copy(URI source, Path target) throws IOException {
        Files.createDirectories(target.getParent());
        switch (source.getScheme()) {
            case "file" -> Files.copy(Path.of(source), target);
            case "http", "https" -> {
                try {
                    HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(source).timeout(Duration.ofMinutes(2))
                            .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
                    try (InputStream body = response.body()) {
                        if (response.statusCode() != 200) {
                            throw new IOException("GET " + source + " answered " + response.statusCode());
                        }
                        Files.copy(body, target);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while fetching " + source, e);
                }
            }
            default -> throw new IOException("unsupported artifact URI scheme: " + source);
        }
    }

}
