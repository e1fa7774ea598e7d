package io.linesight.common;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.linesight.localstack.ImageSamples;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ImagesTest {
    private static final long MAX_PIXELS = 40_000_000;

    @Test
    void decodesRealNeuJpeg() throws Exception {
        BufferedImage image = Images.decode(ImageSamples.neuImage("scratches", 1), ImageFormat.JPEG, MAX_PIXELS);
        assertEquals(200, image.getWidth());
        assertEquals(200, image.getHeight());
    }

    @Test
    void refusesDecompressionBombBeforeDecoding() {
        ImageRejectedException e = assertThrows(ImageRejectedException.class,
                () -> Images.decode(ImageSamples.pngDeclaring(30000, 30000), ImageFormat.PNG, MAX_PIXELS));
        assertEquals(ImageRejectedException.Reason.TOO_MANY_PIXELS, e.reason());
    }

    @Test
    void refusesTruncatedJpegThatImageIoWouldOnlyWarnAbout() {
        ImageRejectedException e = assertThrows(ImageRejectedException.class,
                () -> Images.decode(ImageSamples.truncatedJpeg(), ImageFormat.JPEG, MAX_PIXELS));
        assertEquals(ImageRejectedException.Reason.UNDECODABLE, e.reason());
    }

    @Test
    void refusesTextAndEmptyInput() {
        assertThrows(ImageRejectedException.class, () -> Images.decode(ImageSamples.text("hello"), ImageFormat.PNG, MAX_PIXELS));
        assertThrows(ImageRejectedException.class, () -> Images.decode(new byte[0], ImageFormat.BMP, MAX_PIXELS));
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
        BufferedImage image = Images.decode(ImageSamples.neuImage("inclusion", 2), ImageFormat.JPEG, MAX_PIXELS);
        assertEquals(224 * 224 * 3, Images.toRgb(image, 224).length);
        assertEquals(64 * 64 * 3, Images.toRgb(image, 64).length);
    }

    @Test
    void contentTypeParametersAndCaseAreIgnored() {
        assertEquals(ImageFormat.PNG, ImageFormat.ofContentType("Image/PNG; charset=binary").orElseThrow());
        assertEquals(Optional.empty(), ImageFormat.ofContentType("image/gif"));
    }
}
