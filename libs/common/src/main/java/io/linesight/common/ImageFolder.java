package io.linesight.common;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * An image classification data set on disk: root/&lt;class&gt;/*, or root/train + root/val (or root/test),
 * each holding one level of class folders. Without a val/test folder the split is deterministic: a file
 * goes to validation when hash(relative path) &lt; the validation fraction.
 */
public final class ImageFolder {
    private static final List<String> IMAGE_EXTENSIONS = List.of("jpg", "jpeg", "png", "bmp");

    /** One image and its class index. */
    public record Item(Path path, String relativePath, int label) {
    }

    /** Classes in index order (sorted folder names), the two splits, and files that are not images. */
    public record Split(List<String> classes, List<Item> train, List<Item> validation, List<Path> skipped, String layout) {
    }

    private ImageFolder() {
    }

    public static Split scan(Path root, double validationFraction) {
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException("data folder " + root + " does not exist or is not a folder");
        }
        Path train = root.resolve("train");
        if (Files.isDirectory(train)) {
            Path held = Files.isDirectory(root.resolve("val")) ? root.resolve("val")
                    : Files.isDirectory(root.resolve("test")) ? root.resolve("test") : null;
            List<String> classes = classFolders(train);
            List<Path> skipped = new ArrayList<>();
            List<Item> trainItems = items(train, root, classes, skipped);
            if (held == null) {
                return split(classes, trainItems, validationFraction, skipped, "train/ split by hash");
            }
            List<String> heldClasses = list(held).filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith(".")).toList();
            if (!classes.containsAll(heldClasses)) {
                List<String> unknown = heldClasses.stream().filter(c -> !classes.contains(c)).toList();
                throw new IllegalArgumentException(held + " has classes that train/ lacks: " + unknown);
            }
            return new Split(classes, trainItems, items(held, root, classes, skipped), skipped,
                    "train/ + " + held.getFileName() + "/");
        }
        List<String> classes = classFolders(root);
        List<Path> skipped = new ArrayList<>();
        return split(classes, items(root, root, classes, skipped), validationFraction, skipped, "class folders split by hash");
    }

    private static Split split(List<String> classes, List<Item> all, double fraction, List<Path> skipped, String layout) {
        List<Item> train = new ArrayList<>();
        List<Item> validation = new ArrayList<>();
        for (Item item : all) {
            (HashSelection.fraction(item.relativePath()) < fraction ? validation : train).add(item);
        }
        return new Split(classes, train, validation, skipped, layout);
    }

    private static List<String> classFolders(Path dir) {
        List<String> classes = list(dir).filter(Files::isDirectory).map(p -> p.getFileName().toString())
                .filter(n -> !n.startsWith(".")).sorted().toList();
        if (classes.size() < 2) {
            throw new IllegalArgumentException(dir + " must hold one folder per class (at least 2), found " + classes);
        }
        return classes;
    }

    private static List<Item> items(Path dir, Path root, List<String> classes, List<Path> skipped) {
        List<Item> items = new ArrayList<>();
        for (String name : list(dir).filter(Files::isDirectory).map(p -> p.getFileName().toString())
                .filter(n -> !n.startsWith(".")).sorted().toList()) {
            int label = classes.indexOf(name);
            for (Path file : list(dir.resolve(name)).sorted().toList()) {
                String fileName = file.getFileName().toString();
                if (fileName.startsWith(".")) {
                    continue;
                }
                if (Files.isDirectory(file)) {
                    throw new IllegalArgumentException("nested folder " + file + ": expected " + dir
                            + "/<class>/<image files> with one level of class folders");
                }
                if (IMAGE_EXTENSIONS.contains(extension(fileName))) {
                    items.add(new Item(file, root.relativize(file).toString().replace('\\', '/'), label));
                } else {
                    skipped.add(file);
                }
            }
        }
        return items;
    }

    /** The lower-case extension of a file name, "" when it has none. */
    public static String extension(String fileName) {
        int dot = fileName.lastIndexOf('.');
        return dot < 0 ? "" : fileName.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    private static Stream<Path> list(Path dir) {
        try (Stream<Path> children = Files.list(dir)) {
            return children.toList().stream();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }
}
