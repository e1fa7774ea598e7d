package io.linesight.common;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * The one image path of LineSight: ingest validates with it, trainer and classifier turn frames into
 * model input with it, so the model sees the same pixels in training and in serving.
 */
public final class Images {
    private Images() {
    }

    /** Width and height as declared by the image header. */
    public record Dimensions(int width, int height) {
        public long pixels() {
            return (long) width * height;
        }
    }

    /**
     * Decodes after bounding the declared size by {@code maxPixels}. A truncated or corrupt stream is
     * refused even where ImageIO would only warn and return a partly grey image.
     */
    public static BufferedImage decode(byte[] encoded, ImageFormat format, long maxPixels) throws ImageRejectedException {
        return withReader(encoded, format, reader -> {
            Dimensions dims = new Dimensions(reader.getWidth(0), reader.getHeight(0));
            if (dims.width() <= 0 || dims.height() <= 0) {
                throw new ImageRejectedException(ImageRejectedException.Reason.UNDECODABLE,
                        "image declares no pixels (" + dims.width() + "x" + dims.height() + ")");
            }
            if (dims.pixels() > maxPixels) {
                throw new ImageRejectedException(ImageRejectedException.Reason.TOO_MANY_PIXELS, "image declares "
                        + dims.width() + "x" + dims.height() + " pixels, more than the limit of " + maxPixels);
            }
            List<String> warnings = new ArrayList<>();
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            BufferedImage image = reader.read(0);
            if (!warnings.isEmpty()) {
                throw new ImageRejectedException(ImageRejectedException.Reason.UNDECODABLE,
                        "corrupt " + format.contentType() + ": " + String.join("; ", warnings));
            }
            return image;
        });
    }

    /**
     * Scales to size x size with bilinear interpolation and returns interleaved RGB bytes (HWC, row
     * major); grey images become three equal channels. Normalisation happens inside the model graph.
     */
    public static byte[] toRgb(BufferedImage image, int size) {
        BufferedImage rgb = new BufferedImage(size, size, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = rgb.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.drawImage(image, 0, 0, size, size, null);
        } finally {
            g.dispose();
        }
        byte[] bgr = ((DataBufferByte) rgb.getRaster().getDataBuffer()).getData();
        byte[] out = new byte[bgr.length];
        for (int i = 0; i < bgr.length; i += 3) {
            out[i] = bgr[i + 2];
            out[i + 1] = bgr[i + 1];
            out[i + 2] = bgr[i];
        }
        return out;
    }

    private interface ReaderWork<T> {
        T apply(ImageReader reader) throws IOException, ImageRejectedException;
    }

    private static <T> T withReader(byte[] encoded, ImageFormat format, ReaderWork<T> work) throws ImageRejectedException {
        if (encoded == null || encoded.length == 0) {
            throw new ImageRejectedException(ImageRejectedException.Reason.UNDECODABLE, "empty image");
        }
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.imageIoName());
        if (!readers.hasNext()) {
            throw new IllegalStateException("this JVM has no ImageIO reader for " + format.contentType());
        }
        ImageReader reader = readers.next();
        // Memory cache: ImageIO would otherwise spill every request to a temp file.
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(encoded))) {
            reader.setInput(in, true, true);
            return work.apply(reader);
        } catch (IOException | RuntimeException e) {
            // ImageIO's decoders signal corrupt data with IIOException and, for some inputs, runtime exceptions.
            throw new ImageRejectedException(ImageRejectedException.Reason.UNDECODABLE,
                    "not a decodable " + format.contentType() + ": " + e.getMessage());
        } finally {
            reader.dispose();
        }
    }
}
