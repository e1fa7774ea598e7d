package io.linesight.training.data;

import io.linesight.common.ImageFolder;
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
import java.util.function.BiConsumer;
import java.util.stream.IntStream;

/**
 * Labelled images at the model's input size as uint8 RGB (the shared Images path). Loaded sets hold every image's
 * pixels in memory; streamed sets check once that every image decodes and then decode each image again when it is
 * used, so memory holds a batch, not the set. Images that do not decode are skipped and reported, never fatal.
 */
public final class ImageSet {
    private final int size;
    private final List<Source> sources;
    /** Decoded pixels, or null when the set is streamed. */
    private final List<byte[]> pixels;
    private final DecodeBudget budget;
    private final int[] labels;
    private final List<String> failures;

    private ImageSet(int size, List<Source> sources, List<byte[]> pixels, DecodeBudget budget, List<String> failures) {
        this.size = size;
        this.sources = sources;
        this.pixels = pixels;
        this.budget = budget;
        this.labels = sources.stream().mapToInt(Source::label).toArray();
        this.failures = failures;
    }

    /** One encoded image to decode: where it came from (for reports), its class, its claimed format and its bytes. */
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

    /** Decodes encoded images (files, or frames from Kafka) in parallel within {@code budget} and keeps their pixels. */
    public static ImageSet decode(List<Source> sources, int size, int threads, DecodeBudget budget, String what) {
        List<Source> good = new ArrayList<>();
        List<byte[]> pixels = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        decodeAll(sources, size, threads, budget, what, (source, rgb) -> {
            good.add(source);
            pixels.add(rgb);
        }, failures);
        return new ImageSet(size, good, pixels, budget, failures);
    }

    /** Checks that every image decodes, keeping no pixels: each image is decoded again when a batch needs it. */
    public static ImageSet stream(List<Source> sources, int size, int threads, DecodeBudget budget, String what) {
        List<Source> good = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        decodeAll(sources, size, threads, budget, "checking " + what, (source, rgb) -> good.add(source), failures);
        return new ImageSet(size, good, null, budget, failures);
    }

    private static void decodeAll(List<Source> sources, int size, int threads, DecodeBudget budget, String what,
            BiConsumer<Source, byte[]> decoded, List<String> failures) {
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, threads));
        try {
            List<Future<byte[]>> results = new ArrayList<>();
            for (Source source : sources) {
                results.add(pool.submit(() -> decode(source, size, budget)));
            }
            Progress progress = new Progress("decoding " + what, sources.size());
            for (int i = 0; i < sources.size(); i++) {
                try {
                    decoded.accept(sources.get(i), results.get(i).get());
                } catch (ExecutionException e) {
                    failures.add(sources.get(i).name() + ": " + e.getCause().getMessage());
                }
                results.set(i, null); // a streamed set keeps no pixels, not even here
                progress.step(1);
            }
            progress.done();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while decoding " + what, e);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Decoded by what the bytes are: data sets name JPEG files .png (X-SDD does). */
    private static byte[] decode(Source source, int size, DecodeBudget budget) throws Exception {
        byte[] bytes = source.bytes().call();
        return Images.decode(bytes, ImageFormat.ofContent(bytes).orElse(source.format()), budget, null, image -> Images.toRgb(image, size));
    }

    private static ImageFormat formatOf(String fileName) {
        return switch (ImageFolder.extension(fileName)) {
            case "png" -> ImageFormat.PNG;
            case "bmp" -> ImageFormat.BMP;
            default -> ImageFormat.JPEG;
        };
    }

    public int size() {
        return sources.size();
    }

    public int imageSize() {
        return size;
    }

    public byte[] pixels(int index) {
        if (pixels != null) {
            return pixels.get(index);
        }
        try {
            return decode(sources.get(index), size, budget);
        } catch (Exception e) {
            throw new IllegalStateException("image " + sources.get(index).name() + " decoded before but not now", e);
        }
    }

    public int label(int index) {
        return labels[index];
    }

    public String name(int index) {
        return sources.get(index).name();
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
        List<byte[]> images = pixels(indices);
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(images.get(i), 0, out, i * bytes, bytes);
        }
        return out;
    }

    /** The pixels of the given images; a streamed set decodes them in parallel. */
    public List<byte[]> pixels(int[] indices) {
        IntStream range = IntStream.range(0, indices.length);
        return (pixels == null ? range.parallel() : range).mapToObj(i -> pixels(indices[i])).toList();
    }
}
