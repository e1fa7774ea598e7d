package io.linesight.common.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.linesight.common.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads a filesystem model registry, {@code <root>/<model>/<version>/{serving,training,manifest.json}}.
 * Only complete versions are visible: publishers write elsewhere and rename into place.
 */
public final class ModelRegistry {
    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path root;

    public ModelRegistry(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    public Path versionDir(String model, int version) {
        return root.resolve(model).resolve(Integer.toString(version));
    }

    /** Published versions of a model, ascending; folders that are not integers (temp dirs) are ignored. */
    public List<Integer> versions(String model) throws IOException {
        Path dir = root.resolve(model);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> children = Files.list(dir)) {
            return children.map(p -> p.getFileName().toString()).filter(n -> n.matches("[1-9][0-9]*"))
                    .map(Integer::parseInt).sorted().toList();
        }
    }

    public ModelManifest manifest(String model, int version) throws IOException {
        return readManifest(versionDir(model, version));
    }

    public static ModelManifest readManifest(Path versionDir) throws IOException {
        return JSON.readValue(versionDir.resolve(ModelManifest.FILE_NAME).toFile(), ModelManifest.class);
    }

    /**
     * Checks that every file the manifest lists is present with its size and SHA-256. Call before
     * loading a version fetched from anywhere.
     */
    public static ModelManifest verify(Path versionDir) throws ModelVerificationException {
        ModelManifest manifest;
        try {
            manifest = readManifest(versionDir);
        } catch (IOException e) {
            throw new ModelVerificationException("unreadable manifest in " + versionDir + ": " + e.getMessage());
        }
        if (manifest.files() == null || manifest.files().isEmpty()) {
            throw new ModelVerificationException("manifest in " + versionDir + " lists no files");
        }
        List<String> problems = new ArrayList<>();
        for (ModelManifest.FileEntry file : manifest.files()) {
            String unsafe = unsafePath(file.path());
            Path path = unsafe == null ? versionDir.resolve(file.path()) : null;
            if (unsafe != null) {
                problems.add(file.path() + ": " + unsafe);
            } else if (!Files.isRegularFile(path)) {
                problems.add(file.path() + ": missing");
            } else {
                try {
                    String actual = sha256(path);
                    if (!actual.equals(file.sha256())) {
                        problems.add(file.path() + ": sha256 " + actual + " but manifest says " + file.sha256());
                    }
                } catch (IOException e) {
                    problems.add(file.path() + ": unreadable (" + e.getMessage() + ")");
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new ModelVerificationException("model " + manifest.modelName() + " version " + manifest.version()
                    + " failed verification: " + String.join("; ", problems));
        }
        return manifest;
    }

    /**
     * Why a manifest path could leave its version folder, or null when it cannot: it must be relative, '/'-separated,
     * with no empty, '.' or '..' segment, no backslash and no colon (a drive or a scheme).
     */
    public static String unsafePath(String path) {
        if (path == null || path.isEmpty() || path.startsWith("/") || path.contains("\\") || path.contains(":")) {
            return "not a relative path inside the version folder";
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return "path segment '" + segment + "' is not allowed";
            }
        }
        return null;
    }

    /** Streaming SHA-256 of a file, lower-case hex. */
    public static String sha256(Path file) throws IOException {
        MessageDigest digest = Sha256.newDigest();
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /** Every regular file under a version folder, manifest excluded, relative with '/' separators. */
    public static List<ModelManifest.FileEntry> describeFiles(Path versionDir) throws IOException {
        try (Stream<Path> paths = Files.walk(versionDir)) {
            List<ModelManifest.FileEntry> files = new ArrayList<>();
            for (Path p : paths.filter(Files::isRegularFile).sorted().toList()) {
                String relative = versionDir.relativize(p).toString().replace('\\', '/');
                if (!relative.equals(ModelManifest.FILE_NAME)) {
                    files.add(new ModelManifest.FileEntry(relative, sha256(p), Files.size(p)));
                }
            }
            return files;
        }
    }
}
