package io.linesight.common;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * What decoding may cost one process: a header may declare at most {@code maxPixels}, an image may decode to at most
 * {@code maxImageBytes} (width x height x bands x bytes per sample, read from the header before any pixel), and the
 * images decoding at once share {@code totalBytes}: a 16-bit RGBA bomb of a few hundred KB cannot take the heap.
 */
public final class DecodeBudget {
    private static final int KIB = 1024;

    private final long maxPixels;
    private final long maxImageBytes;
    private final long totalBytes;
    private final int totalPermits;
    private final Semaphore kib;

    public DecodeBudget(long maxPixels, long maxImageBytes, long totalBytes) {
        if (maxPixels <= 0 || maxImageBytes <= 0 || totalBytes < KIB) {
            throw new IllegalArgumentException("decode limits must be positive: max pixels " + maxPixels + ", max decoded bytes "
                    + maxImageBytes + ", decode memory " + totalBytes);
        }
        this.maxPixels = maxPixels;
        this.maxImageBytes = maxImageBytes;
        this.totalBytes = totalBytes;
        this.totalPermits = (int) Math.min(Integer.MAX_VALUE, totalBytes / KIB);
        // Fair: a large image waiting is not starved by a stream of small ones.
        this.kib = new Semaphore(totalPermits, true);
    }

    /** The services' defaults, with {@code heapShare} of this JVM's maximum heap for the decodes in flight. */
    public static DecodeBudget ofHeapShare(long maxPixels, long maxImageBytes, double heapShare) {
        if (!(heapShare > 0 && heapShare <= 1)) {
            throw new IllegalArgumentException("the decode heap share is a fraction in (0, 1], got " + heapShare);
        }
        return new DecodeBudget(maxPixels, maxImageBytes, (long) (Runtime.getRuntime().maxMemory() * heapShare));
    }

    /** One budget for a command-line process, from the services' defaults (training and evaluation decode in parallel). */
    public static DecodeBudget defaults() {
        return CommandLine.BUDGET;
    }

    /** Made on first use (the holder idiom), so a service that never calls defaults() never sizes it. */
    private static final class CommandLine {
        static final DecodeBudget BUDGET = ofHeapShare(Long.parseLong(Defaults.MAX_PIXELS), Long.parseLong(Defaults.MAX_DECODED_BYTES),
                Double.parseDouble(Defaults.DECODE_HEAP_SHARE));
    }

    /** Held while an image is decoded and used; closing it returns its bytes to the budget. */
    public interface Lease extends AutoCloseable {
        @Override
        void close();
    }

    /** Refuses what one image may never cost, before any pixel is decoded. */
    void check(Images.Dimensions dims, long decodedBytes) throws ImageRejectedException {
        if (dims.pixels() > maxPixels) {
            throw new ImageRejectedException(ImageRejectedException.Reason.TOO_MANY_PIXELS, "image declares "
                    + dims.width() + "x" + dims.height() + " pixels, more than the limit of " + maxPixels);
        }
        long limit = imageLimitBytes();
        if (decodedBytes > limit) {
            throw new ImageRejectedException(ImageRejectedException.Reason.DECODED_TOO_LARGE, "image " + dims.width() + "x"
                    + dims.height() + " decodes to " + decodedBytes + " bytes, more than the limit of " + limit);
        }
    }

    /**
     * Takes {@code bytes} of the budget, waiting at most {@code maxWait} (null: as long as it takes, which a checked
     * image always gets: every lease is returned after one decode).
     */
    Lease acquire(long bytes, Duration maxWait) throws ImageRejectedException {
        int permits = (int) Math.max(1, Math.min(totalPermits, (bytes + KIB - 1) / KIB));
        try {
            if (maxWait == null) {
                kib.acquire(permits);
            } else if (!kib.tryAcquire(permits, maxWait.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new ImageRejectedException(ImageRejectedException.Reason.BUSY, "other images are decoding: "
                        + (inUseBytes() >> 20) + " of " + (totalBytes >> 20) + " MiB of decode memory in use for " + maxWait.toMillis() + " ms");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ImageRejectedException(ImageRejectedException.Reason.BUSY, "interrupted while waiting for decode memory");
        }
        int taken = permits;
        return () -> kib.release(taken);
    }

    public long maxPixels() {
        return maxPixels;
    }

    /** What one image may decode to: the per-image limit, or all of the budget where that is smaller. */
    public long imageLimitBytes() {
        return Math.min(maxImageBytes, totalBytes);
    }

    public long totalBytes() {
        return totalBytes;
    }

    /** Bytes of images decoding now. */
    public long inUseBytes() {
        return (long) (totalPermits - kib.availablePermits()) * KIB;
    }
}
