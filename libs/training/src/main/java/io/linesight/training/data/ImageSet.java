package io.linesight.training.data;

import io.linesight.common.DecodeBudget;
import io.linesight.common.ImageFormat;
import io.linesight.common.Images;
import io.linesight.training.Progress;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

/**
 * Images decoded once into memory as uint8 RGB at the model's input size (the shared Images path), with
 * their labels. Files that do not decode are skipped and reported, never fatal.
 */
public final class ImageSet {
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

    /** One encoded image to decode: where it came from (for reports), its class and how to read its bytes. */
    public record Source(String name, int label, ImageFormat format, Callable<byte[]> bytes) {
    }

    /**
     * Decodes every item of an image folder in parallel within the command line's decode budget (the services'
     * defaults); {@code what} names the set on the progress bar.
     */
    public static ImageSet load(List<ImageFolder.Item> items, int size, int threads, String what) {
        return decode(items.stream().map(item -> new Source(item.relativePath(), item.label(),
                formatOf(item.path().getFileName().toString()), () -> Files.readAllBytes(item.path()))).toList(), size, threads,
                DecodeBudget.defaults(), what);
    }

    /** Decodes encoded images (files, or frames from Kafka) in parallel within {@code budget}; failures are reported, not fatal. */
    public static ImageSet decode(List<Source> sources, int size, int threads, DecodeBudget budget, String what) {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
        try {
            List<Future<byte[]>> decoded = new ArrayList<>();
            for (Source source : sources) {
                decoded.add(pool.submit(() -> Images.decode(source.bytes().call(), source.format(), budget, null, image -> Images.toRgb(image, size))));
            }
            List<byte[]> pixels = new ArrayList<>();
            List<Integer> labels = new ArrayList<>();
            List<String> names = new ArrayList<>();
            List<String> failures = new ArrayList<>();
            Progress progress = new Progress("decoding " + what, sources.size());
            for (int i = 0; i < sources.size(); i++) {
                try {
                    pixels.add(decoded.get(i).get());
                    labels.add(sources.get(i).label());
                    names.add(sources.get(i).name());
                } catch (ExecutionException e) {
                    failures.add(sources.get(i).name() + ": " + e.getCause().getMessage());
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

    private static ImageFormat formatOf(String fileName) {
        return switch (ImageFolder.extension(fileName)) {
            case "png" -> ImageFormat.PNG;
            case "bmp" -> ImageFormat.BMP;
            default -> ImageFormat.JPEG;
        };
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
        return batch(IntStream.range(from, to).toArray());
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
