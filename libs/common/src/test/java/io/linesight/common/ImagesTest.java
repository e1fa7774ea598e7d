package io.linesight.common;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.ThreadMXBean;
import io.linesight.localstack.ImageSamples.PngColour;
import io.linesight.localstack.ImageSamples;
import java.awt.image.BufferedImage;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class ImagesTest {
    private static final long MIB = 1 << 20;
    private static final DecodeBudget BUDGET = new DecodeBudget(40_000_000, 128 * MIB, 512 * MIB);

    private static BufferedImage decode(byte[] image, ImageFormat format) throws ImageRejectedException {
        return Images.decode(image, format, BUDGET, null, Function.identity());
    }

    @Test
    void decodesRealNeuJpeg() throws Exception {
        BufferedImage image = decode(ImageSamples.neuImage("scratches", 1), ImageFormat.JPEG);
        assertEquals(200, image.getWidth());
        assertEquals(200, image.getHeight());
    }

    @Test
    void refusesDecompressionBombBeforeDecoding() {
        ImageRejectedException e = assertThrows(ImageRejectedException.class,
                () -> decode(ImageSamples.pngDeclaring(30000, 30000), ImageFormat.PNG));
        assertEquals(ImageRejectedException.Reason.TOO_MANY_PIXELS, e.reason());
    }

    @Test
    void sixteenBitRgbaInsideThePixelLimitIsRefusedByItsDecodedBytes() throws Exception {
        // 6000 x 6000 is under the 40 M pixel limit; at 8 bytes a pixel (plus the 8-bit copy) it is ~430 MB.
        byte[] bomb = ImageSamples.uniformPng(6000, 6000, 16, PngColour.RGBA, 0);
        assertTrue(bomb.length < 1_000_000, "a bomb is small: " + bomb.length);
        ImageRejectedException e = assertThrows(ImageRejectedException.class, () -> decode(bomb, ImageFormat.PNG));
        assertEquals(ImageRejectedException.Reason.DECODED_TOO_LARGE, e.reason());
        assertTrue(e.getMessage().contains("6000x6000 decodes to 432000000 bytes"), e.getMessage());
        assertEquals(0, BUDGET.inUseBytes());
    }

    /** Every layout ImageIO decodes to, as small hostile PNGs: what decode + resize allocates stays within what was counted. */
    @Test
    void decodedBytesCoverWhatDecodingAndResizingAllocate() throws Exception {
        record Case(int bitDepth, PngColour colour, int expectedRed) {
        }
        ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        int side = 1500;
        // Every sample byte is 0xC8: 200 in 8 bits, the top 8 bits of 0xC8C8 in 16 (the palette is grey: index = level);
        // alpha 200 composites over black (157). Under 8 bits every sample is all ones: white, or palette index 15.
        for (Case c : new Case[] {new Case(16, PngColour.RGBA, 157), new Case(16, PngColour.RGB, 200), new Case(16, PngColour.GREY, 200),
                new Case(16, PngColour.GREY_ALPHA, 157), new Case(8, PngColour.GREY_ALPHA, 157), new Case(8, PngColour.GREY_TRANSPARENT, 200),
                
                new Case(16, PngColour.GREY_TRANSPARENT, 200), new Case(8, PngColour.PALETTE, 200), new Case(8, PngColour.RGB, 200),
                new Case(8, PngColour.RGBA, 157), new Case(8, PngColour.GREY, 200), new Case(1, PngColour.GREY, 255),
                new Case(4, PngColour.PALETTE, 15), new Case(2, PngColour.GREY, 255)}) {
            byte[] png = ImageSamples.uniformPng(side, side, c.bitDepth(), c.colour(), c.bitDepth() < 8 ? 0xFF : 0xC8);
            long counted = Images.decodedBytes(png, ImageFormat.PNG);
            long before = threads.getCurrentThreadAllocatedBytes();
            byte[] rgb = Images.decode(png, ImageFormat.PNG, BUDGET, null, image -> Images.toRgb(image, 4));
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            // Beyond the rasters: row buffers, the inflater and the reader, well under a megabyte.
            assertTrue(allocated <= counted + MIB, c + ": allocated " + allocated + " > counted " + counted);
            assertEquals(c.expectedRed(), rgb[0] & 0xff, c.toString());
        }
        for (byte[] jpeg : List.of(ImageSamples.progressiveJpeg(side, side), ImageSamples.encode(colourNoise(side), "jpeg"))) {
            long counted = Images.decodedBytes(jpeg, ImageFormat.JPEG);
            long before = threads.getCurrentThreadAllocatedBytes();
            Images.decode(jpeg, ImageFormat.JPEG, BUDGET, null, image -> Images.toRgb(image, 4));
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertTrue(allocated <= counted + MIB, "JPEG: allocated " + allocated + " > counted " + counted);
        }
    }

    private static BufferedImage colourNoise(int side) {
        BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_3BYTE_BGR);
        Random random = new Random(1);
        for (int y = 0; y < side; y += 7) {
            for (int x = 0; x < side; x += 7) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        return image;
    }

    @Test
    void progressiveJpegAtTheLimitDecodesWithinItsBudget() throws Exception {
        byte[] jpeg = ImageSamples.progressiveJpeg(2000, 1500);
        assertEquals(2000 * 1500, Images.decodedBytes(jpeg, ImageFormat.JPEG));
        DecodeBudget exact = new DecodeBudget(3_000_000, 3_000_000, 3_000_000);
        assertEquals(64 * 64 * 3, Images.decode(jpeg, ImageFormat.JPEG, exact, null, image -> Images.toRgb(image, 64)).length);
        DecodeBudget tooSmall = new DecodeBudget(3_000_000, 2_999_999, 3_000_000);
        assertEquals(ImageRejectedException.Reason.DECODED_TOO_LARGE, assertThrows(ImageRejectedException.class,
                () -> Images.decode(jpeg, ImageFormat.JPEG, tooSmall, null, Function.identity())).reason());
    }

    @Test
    void decodesBeyondTheSharedBudgetWaitThenGiveUpAndTheBudgetComesBack() throws Exception {
        byte[] png = ImageSamples.uniformPng(1000, 1000, 8, PngColour.RGB, 1);
        assertEquals(6_000_000, Images.decodedBytes(png, ImageFormat.PNG), "its RGB raster + the BGR copy Java2D draws");
        DecodeBudget budget = new DecodeBudget(40_000_000, 8 * MIB, 8 * MIB);
        CountDownLatch decoding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Integer> first = CompletableFuture.supplyAsync(() -> {
            try {
                return Images.decode(png, ImageFormat.PNG, budget, null, image -> {
                    decoding.countDown();
                    await(release);
                    return image.getWidth();
                });
            } catch (ImageRejectedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertTrue(decoding.await(10, TimeUnit.SECONDS));
        assertTrue(budget.inUseBytes() >= 6_000_000, "held while used: " + budget.inUseBytes());
        ImageRejectedException busy = assertThrows(ImageRejectedException.class,
                () -> Images.decode(png, ImageFormat.PNG, budget, Duration.ofMillis(200), Function.identity()));
        assertEquals(ImageRejectedException.Reason.BUSY, busy.reason());
        release.countDown();
        assertEquals(1000, first.get(10, TimeUnit.SECONDS));
        assertEquals(0, budget.inUseBytes());
        IllegalStateException notTheImage = assertThrows(IllegalStateException.class, () -> Images.decode(png, ImageFormat.PNG, budget,
                null, image -> {
                    throw new IllegalStateException("the caller's work failed");
                }));
        assertEquals("the caller's work failed", notTheImage.getMessage());
        assertEquals(0, budget.inUseBytes(), "returned when the caller's work fails too");
        assertEquals(Integer.valueOf(1000), Images.decode(png, ImageFormat.PNG, budget, Duration.ZERO, BufferedImage::getHeight));
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void refusesTruncatedJpegThatImageIoWouldOnlyWarnAbout() {
        ImageRejectedException e = assertThrows(ImageRejectedException.class, () -> decode(ImageSamples.truncatedJpeg(), ImageFormat.JPEG));
        assertEquals(ImageRejectedException.Reason.UNDECODABLE, e.reason());
    }

    @Test
    void refusesTextAndEmptyInput() {
        assertThrows(ImageRejectedException.class, () -> decode(ImageSamples.text("hello"), ImageFormat.PNG));
        assertThrows(ImageRejectedException.class, () -> decode(new byte[0], ImageFormat.BMP));
    }

    @Test
    void greyBecomesThreeEqualChannelsAndColourKeepsRgbOrder() {
        BufferedImage grey = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setSample(0, 0, 0, 200);
        byte[] greyRgb = Images.toRgb(grey, 4);
        assertArrayEquals(new byte[] {(byte) 200, (byte) 200, (byte) 200}, Arrays.copyOf(greyRgb, 3));

        BufferedImage colour = new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB);
        colour.setRGB(0, 0, 0x102030);
        byte[] rgb = Images.toRgb(colour, 2);
        assertArrayEquals(new byte[] {0x10, 0x20, 0x30}, Arrays.copyOf(rgb, 3));
        assertEquals(2 * 2 * 3, rgb.length);
    }

    @Test
    void resizesToTheModelInputSize() throws Exception {
        BufferedImage image = decode(ImageSamples.neuImage("inclusion", 2), ImageFormat.JPEG);
        assertEquals(224 * 224 * 3, Images.toRgb(image, 224).length);
        assertEquals(64 * 64 * 3, Images.toRgb(image, 64).length);
    }

    @Test
    void contentTypeParametersAndCaseAreIgnored() {
        assertEquals(ImageFormat.PNG, ImageFormat.ofContentType("Image/PNG; charset=binary").orElseThrow());
        assertEquals(Optional.empty(), ImageFormat.ofContentType("image/gif"));
    }
}
