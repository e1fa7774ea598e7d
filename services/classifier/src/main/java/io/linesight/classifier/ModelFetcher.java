package io.linesight.classifier;

import io.linesight.common.FileTrees;
import io.linesight.common.registry.ManifestSignature;
import io.linesight.common.registry.ModelManifest;
import io.linesight.common.registry.ModelRegistry;
import io.linesight.common.registry.ModelVerificationException;
import io.linesight.common.registry.ServingPointers;
import io.linesight.proto.ModelFile;
import io.linesight.proto.ModelVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.PublicKey;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * Brings a version's manifest, its signature and its serving/ files from a trusted registry URL (file:// or http://)
 * into a local cache. Nothing the pointer says is trusted: the file list and checksums come from the manifest, and
 * the manifest counts only once a trusted key's signature verifies. A refused version leaves nothing on disk.
 */
final class ModelFetcher {
    /** manifest.json and manifest.sig are a few KB; anything this large is not one. */
    private static final long MAX_MANIFEST_BYTES = 1 << 20;

    private final Path cache;
    private final List<PublicKey> trustedKeys;
    private final TrustedSources sources;
    private final long maxVersionBytes;
    // Never follows redirects: a trusted registry must not be able to point the fetch at another address.
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
            .followRedirects(HttpClient.Redirect.NEVER).build();

    ModelFetcher(Path cache, List<PublicKey> trustedKeys, TrustedSources sources, long maxVersionBytes) {
        this.cache = cache;
        this.trustedKeys = trustedKeys;
        this.sources = sources;
        this.maxVersionBytes = maxVersionBytes;
    }

    /**
     * The local folder holding serving/, manifest.json and manifest.sig of the version, verified.
     *
     * @throws ModelRejectedException with reason unavailable when the registry could not be read (worth retrying)
     */
    Path fetch(ModelVersion pointer) throws ModelRejectedException {
        URI base = sources.check(pointer.getArtifactUri());
        Path modelDir = cache.resolve(pointer.getModelName());
        Path target = modelDir.resolve(Integer.toString(pointer.getVersion()));
        if (Files.isDirectory(target)) {
            try {
                verifyFiles(target, signedServingFiles(target, pointer));
                return target;
            } catch (ModelRejectedException stale) {
                // A copy from an earlier registry (reset, other keys): fetch it again.
            }
        }
        Path temp = modelDir.resolve(".fetching-" + UUID.randomUUID());
        try {
            download(base, ModelManifest.FILE_NAME, temp, MAX_MANIFEST_BYTES);
            try {
                download(base, ManifestSignature.FILE_NAME, temp, MAX_MANIFEST_BYTES);
            } catch (NoSuchFileException unsigned) {
                throw new ModelRejectedException("signature", "version " + pointer.getVersion() + " is unsigned: the registry has its "
                        + ModelManifest.FILE_NAME + " but no " + ManifestSignature.FILE_NAME);
            }
            List<ModelManifest.FileEntry> serving = signedServingFiles(temp, pointer);
            for (ModelManifest.FileEntry file : serving) {
                download(base, file.path(), temp, file.size());
            }
            verifyFiles(temp, serving);
            FileTrees.deleteRecursively(target);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            return target;
        } catch (IOException e) {
            throw new ModelRejectedException("unavailable", "cannot fetch version " + pointer.getVersion() + " from "
                    + pointer.getArtifactUri() + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        } finally {
            try {
                FileTrees.deleteRecursively(temp);
            } catch (IOException ignored) {
                // A leftover temp folder is hidden and harmless; the next fetch uses a new one.
            }
        }
    }

    private static boolean sameOperatingPoint(ModelManifest manifest, ModelVersion pointer) {
        return manifest.operatingPoint() == null ? !pointer.hasOperatingPoint()
                : pointer.getOperatingPoint().equals(ServingPointers.operatingPoint(manifest.operatingPoint()));
    }

    /**
     * The serving/ files of the signed manifest in {@code dir}, after checking the signature, that the pointer says what
     * the manifest says, that every path stays inside the folder and that the version fits the size cap.
     */
    private List<ModelManifest.FileEntry> signedServingFiles(Path dir, ModelVersion pointer) throws ModelRejectedException {
        int version = pointer.getVersion();
        ModelManifest manifest;
        try {
            ManifestSignature.verify(dir, trustedKeys);
            manifest = ModelRegistry.readManifest(dir);
        } catch (ModelVerificationException | IOException e) {
            throw new ModelRejectedException("signature", "version " + version + ": " + e.getMessage());
        }
        List<ModelFile> signed = manifest.files() == null ? List.of() : manifest.files().stream()
                .map(f -> ModelFile.newBuilder().setPath(f.path()).setSha256(f.sha256()).setSizeBytes(f.size()).build()).toList();
        if (manifest.version() != version || !pointer.getModelName().equals(manifest.modelName())
                || !manifest.classes().equals(pointer.getClassesList()) || manifest.inputSize() != pointer.getInputSize()
                || !signed.equals(pointer.getFilesList()) || !sameOperatingPoint(manifest, pointer)) {
            throw new ModelRejectedException("signature", "the pointer of version " + version
                    + " differs from its signed manifest (model, version, classes, input size, file list or operating point)");
        }
        for (ModelManifest.FileEntry file : manifest.files()) {
            String unsafe = ModelRegistry.unsafePath(file.path());
            if (unsafe != null) {
                throw new ModelRejectedException("bad_path", "version " + version + " lists " + file.path() + ": " + unsafe);
            }
        }
        List<ModelManifest.FileEntry> serving = manifest.files().stream()
                .filter(f -> f.path().startsWith(ModelManifest.SERVING_DIR + "/")).toList();
        if (serving.isEmpty()) {
            throw new ModelRejectedException("missing_files", "version " + version + " lists no serving/ files");
        }
        long total = serving.stream().mapToLong(f -> Math.max(f.size(), 0)).sum();
        if (total > maxVersionBytes || serving.stream().anyMatch(f -> f.size() < 0)) {
            throw new ModelRejectedException("oversized", "version " + version + " serves " + total + " bytes, more than"
                    + " linesight.classifier.max-version-bytes (" + maxVersionBytes + ")");
        }
        return serving;
    }

    private static void verifyFiles(Path dir, List<ModelManifest.FileEntry> files) throws ModelRejectedException {
        for (ModelManifest.FileEntry file : files) {
            Path path = dir.resolve(file.path());
            try {
                String actual = Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS) ? ModelRegistry.sha256(path) : "missing";
                if (!actual.equals(file.sha256())) {
                    throw new ModelRejectedException("checksum", "file " + file.path() + " has sha256 " + actual
                            + ", the signed manifest says " + file.sha256());
                }
            } catch (IOException e) {
                throw new ModelRejectedException("checksum", "file " + file.path() + " is unreadable: " + e.getMessage(), e);
            }
        }
    }

    /**
     * Copies base/relative into dir/relative, refusing more than {@code maxBytes}; relative is checked safe already.
     *
     * @throws NoSuchFileException when the registry answers that the file does not exist
     */
    private void download(URI base, String relative, Path dir, long maxBytes) throws IOException, ModelRejectedException {
        URI source = base.resolve(relative);
        Path target = dir.resolve(relative);
        Files.createDirectories(target.getParent());
        switch (base.getScheme()) {
            case "file" -> {
                Path root = Path.of(base).toRealPath();
                Path file = Path.of(source);
                // Links could reach any file on this host: the real path must stay inside the version folder.
                if (Files.isSymbolicLink(file) || !file.toRealPath().startsWith(root)) {
                    throw new ModelRejectedException("bad_path", source + " leaves the version folder through a link");
                }
                try (InputStream in = Files.newInputStream(file)) {
                    copyCapped(in, target, maxBytes, source);
                }
            }
            case "http", "https" -> {
                try {
                    HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(source).timeout(Duration.ofMinutes(2))
                            .GET().build(), HttpResponse.BodyHandlers.ofInputStream());
                    try (InputStream body = response.body()) {
                        if (response.statusCode() == 404) {
                            throw new NoSuchFileException(source.toString(), null, "GET answered 404");
                        }
                        if (response.statusCode() != 200) {
                            throw new IOException("GET " + source + " answered " + response.statusCode());
                        }
                        copyCapped(body, target, maxBytes, source);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while fetching " + source, e);
                }
            }
            default -> throw new ModelRejectedException("untrusted_source", "unsupported artifact URI scheme: " + source);
        }
    }

    private static void copyCapped(InputStream in, Path target, long maxBytes, URI source) throws IOException, ModelRejectedException {
        byte[] buffer = new byte[64 * 1024];
        long written = 0;
        try (OutputStream out = Files.newOutputStream(target)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                written += n;
                if (written > maxBytes) {
                    throw new ModelRejectedException("oversized", source + " is larger than the " + maxBytes + " bytes expected");
                }
                out.write(buffer, 0, n);
            }
        }
    }
}
