package io.linesight.training.data;

import io.linesight.common.ImageFormat;
import io.linesight.common.ImageRejectedException;
import io.linesight.common.Images;
import io.linesight.training.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Images decoded once into memory as uint8 RGB at the model's input size (the shared Images path), with
 * their labels. Files that do not decode are skipped and reported, never fatal.
 */
public final class ImageSet {
    private static final long MAX_PIXELS = 100_000_000L;

    private final int size;
    private final List<byte[]> pixels;
    private final int[] labels;
    private final List<String> names;
    private final List<String> failures;

    private ImageSet(int size, List<byte[]> pixels, int[] labels, List<String> names, List<String> failures) {
        this.size = size;
        this.pixels = pixels;
        this.labels = labels;
        this.names = names;
        this.failures = failures;
    }

    /** Decodes every item in parallel; {@code what} names the set on the progress bar. */
    public static ImageSet load(List<ImageFolder.Item> items, int size, int threads, String what) {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
        try {
            List<Future<byte[]>> decoded = new ArrayList<>();
            for (ImageFolder.Item item : items) {
                decoded.add(pool.submit(() -> decode(item, size)));
            }
            List<byte[]> pixels = new ArrayList<>();
            List<Integer> labels = new ArrayList<>();
            List<String> names = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            Progress progress = new Progress("decoding " + what, items.size());
            for (int i = 0; i < items.size(); i++) {
                try {
                    pixels.add(decoded.get(i).get());
                    labels.add(items.get(i).label());
                    names.add(items.get(i).relativePath());
                } catch (java.util.concurrent.ExecutionException e) {
                    failures.add(items.get(i).relativePath() + ": " + e.getCause().getMessage());
                }
                progress.step(1);
            }
            progress.done();
            return new ImageSet(size, pixels, labels.stream().mapToInt(Integer::intValue).toArray(), names, failures);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while decoding " + what, e);
        } finally {
            pool.shutdownNow();
        }
    }

    private static byte[] decode(ImageFolder.Item item, int size) throws IOException, ImageRejectedException {
        String extension = ImageFolder.extension(item.path().getFileName().toString());
        ImageFormat format = switch (extension) {
            case "png" -> ImageFormat.PNG;
            case "bmp" -> ImageFormat.BMP;
            default -> ImageFormat.JPEG;
        };
        return Images.toRgb(Images.decode(Files.readAllBytes(item.path()), format, MAX_PIXELS), size);
    }

    public int size() {
        return pixels.size();
    }

    public int imageSize() {
        return size;
    }

    public byte[] pixels(int index) {
        return pixels.get(index);
    }

    public int label(int index) {
        return labels[index];
    }

    public String name(int index) {
        return names.get(index);
    }

    /** Files that could not be decoded, with the reason. */
    public List<String> failures() {
        return failures;
    }

    /** Images per class index. */
    public int[] classCounts(int classes) {
        int[] counts = new int[classes];
        for (int label : labels) {
            counts[label]++;
        }
        return counts;
    }

    /** Images [from, to) packed into one NHWC batch. */
    public byte[] batch(int from, int to) {
        return batch(java.util.stream.IntStream.range(from, to).toArray());
    }

    /** The given images packed into one NHWC batch. */
    public byte[] batch(int[] indices) {
        int bytes = size * size * 3;
        byte[] out = new byte[indices.length * bytes];
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(pixels.get(indices[i]), 0, out, i * bytes, bytes);
        }
        return out;
    }
}
