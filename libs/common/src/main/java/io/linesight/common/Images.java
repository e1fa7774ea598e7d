package io.linesight.common;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.awt.image.SampleModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
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

    /** Types Java2D scales directly: any other is first copied to one of these (see {@link #eightBit}). */
    private static final Set<Integer> DRAWN_DIRECTLY = Set.of(BufferedImage.TYPE_INT_RGB, BufferedImage.TYPE_INT_ARGB,
            BufferedImage.TYPE_INT_ARGB_PRE, BufferedImage.TYPE_INT_BGR, BufferedImage.TYPE_3BYTE_BGR, BufferedImage.TYPE_4BYTE_ABGR,
            BufferedImage.TYPE_4BYTE_ABGR_PRE, BufferedImage.TYPE_BYTE_GRAY, BufferedImage.TYPE_BYTE_INDEXED);

    /**
     * Decodes within {@code budget} and hands the image to {@code use}: the header's size and decoded bytes are checked
     * first, then the decode waits at most {@code maxWait} (null: as long as it takes) for its share of the budget,
     * which it holds until {@code use} returns. A truncated or corrupt stream is refused even where ImageIO would only
     * warn and return a partly grey image.
     */
    public static <T> T decode(byte[] encoded, ImageFormat format, DecodeBudget budget, Duration maxWait, Function<BufferedImage, T> use)
            throws ImageRejectedException {
        Decoded decoded = withReader(encoded, format, reader -> {
            Dimensions dims = new Dimensions(reader.getWidth(0), reader.getHeight(0));
            if (dims.width() <= 0 || dims.height() <= 0) {
                throw new ImageRejectedException(ImageRejectedException.Reason.UNDECODABLE,
                        "image declares no pixels (" + dims.width() + "x" + dims.height() + ")");
            }
            ImageTypeSpecifier type = destinationType(reader);
            long bytes = decodedBytes(format, type, dims);
            budget.check(dims, bytes);
            DecodeBudget.Lease lease = budget.acquire(bytes, maxWait);
            try {
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                // Decoded into exactly the layout that was counted.
                ImageReadParam param = reader.getDefaultReadParam();
                param.setDestinationType(type);
                BufferedImage image = reader.read(0, param);
                if (!warnings.isEmpty()) {
                    throw new ImageRejectedException(ImageRejectedException.Reason.UNDECODABLE,
                            "corrupt " + format.contentType() + ": " + String.join("; ", warnings));
                }
                return new Decoded(image, lease);
            } catch (Throwable t) {
                lease.close();
                throw t;
            }
        });
        // The caller's work runs outside the reader's error handling: its failures are not the image's.
        try (DecodeBudget.Lease lease = decoded.lease()) {
            return use.apply(decoded.image());
        }
    }

    private record Decoded(BufferedImage image, DecodeBudget.Lease lease) {
    }

    /** What an image would take on the heap to decode and resize, from its header alone. */
    public static long decodedBytes(byte[] encoded, ImageFormat format) throws ImageRejectedException {
        return withReader(encoded, format, reader -> decodedBytes(format, destinationType(reader), new Dimensions(reader.getWidth(0),
                reader.getHeight(0))));
    }

    /**
     * The layout to decode to: the image's own (raw) layout where the reader offers it, which decodes without a second
     * whole-image copy (measured: an 8-bit RGB PNG decoded to TYPE_3BYTE_BGR allocates 6 bytes a pixel, to its raw
     * layout 3), else the reader's first. {@link #decode} asks for it explicitly, so what is counted is what is decoded.
     */
    private static ImageTypeSpecifier destinationType(ImageReader reader) throws IOException, ImageRejectedException {
        List<ImageTypeSpecifier> offered = new ArrayList<>();
        Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
        while (types != null && types.hasNext()) {
            offered.add(types.next());
        }
        if (offered.isEmpty()) {
            throw new ImageRejectedException(ImageRejectedException.Reason.UNDECODABLE, "image declares no pixel layout ImageIO can decode");
        }
        ImageTypeSpecifier raw = reader.getRawImageType(0);
        return raw != null && offered.contains(raw) ? raw : offered.get(0);
    }

    /**
     * Heap the decoded raster takes (width x height x bands x bytes per sample of {@code type}), plus the copy
     * {@link #eightBit} makes of a layout Java2D does not scale directly. ImageIO's JPEG reader converts colour through
     * a second raster of the same size (measured: 6 bytes a pixel for an RGB JPEG, 1 for a grey one).
     */
    private static long decodedBytes(ImageFormat format, ImageTypeSpecifier type, Dimensions dims) {
        SampleModel layout = type.getSampleModel();
        long bytesPerPixel = Math.max(1, (long) layout.getNumDataElements() * DataBuffer.getDataTypeSize(layout.getDataType()) / 8);
        if (format == ImageFormat.JPEG && layout.getNumBands() > 1) {
            bytesPerPixel *= 2;
        }
        if (!DRAWN_DIRECTLY.contains(type.getBufferedImageType())) {
            bytesPerPixel += copyBytesPerPixel(type.getColorModel(), layout.getNumBands());
        }
        return dims.pixels() * bytesPerPixel;
    }

    /**
     * Scales to size x size with bilinear interpolation and returns interleaved RGB bytes (HWC, row major); grey images
     * become three equal channels, 16-bit samples keep their top 8 bits, alpha is composited over black.
     * Normalisation happens inside the model graph.
     */
    public static byte[] toRgb(BufferedImage image, int size) {
        image = eightBit(image);
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

    /** 8-bit-or-more grey or RGB samples in separate bands: copied by keeping each sample's top 8 bits. */
    private static boolean componentCopy(ColorModel model, int bands) {
        if (!(model instanceof ComponentColorModel) || bands > 4) {
            return false;
        }
        int space = model.getColorSpace().getType();
        if (space != ColorSpace.TYPE_GRAY && space != ColorSpace.TYPE_RGB) {
            return false;
        }
        for (int size : model.getComponentSize()) {
            if (size < 8) {
                return false;
            }
        }
        return true;
    }

    /** The type {@link #eightBit} copies a layout to. */
    private static int copyType(ColorModel model, int bands) {
        if (!componentCopy(model, bands)) {
            return BufferedImage.TYPE_INT_ARGB;
        }
        return bands == 1 ? BufferedImage.TYPE_BYTE_GRAY : model.hasAlpha() ? BufferedImage.TYPE_4BYTE_ABGR : BufferedImage.TYPE_3BYTE_BGR;
    }

    private static int copyBytesPerPixel(ColorModel model, int bands) {
        return switch (copyType(model, bands)) {
            case BufferedImage.TYPE_BYTE_GRAY -> 1;
            case BufferedImage.TYPE_3BYTE_BGR -> 3;
            default -> 4;
        };
    }

    /**
     * A layout Java2D does not scale directly (16-bit, grey + alpha, packed or 1-4-bit pixels, custom layouts) copied
     * row by row to one it does: drawn as it is, it would first be converted whole at 4-8 bytes a pixel. Grey and RGB
     * samples of 8 bits or more keep their top 8 bits (as Java2D's own 16-bit grey loop does); any other layout goes
     * through its colour model.
     */
    private static BufferedImage eightBit(BufferedImage image) {
        if (DRAWN_DIRECTLY.contains(image.getType())) {
            return image;
        }
        int width = image.getWidth();
        ColorModel model = image.getColorModel();
        Raster source = image.getRaster();
        int bands = source.getNumBands();
        BufferedImage out = new BufferedImage(width, image.getHeight(), copyType(model, bands));
        if (!componentCopy(model, bands)) {
            int[] argb = new int[width];
            for (int y = 0; y < image.getHeight(); y++) {
                image.getRGB(0, y, width, 1, argb, 0, width);
                out.setRGB(0, y, width, 1, argb, 0, width);
            }
            return out;
        }
        WritableRaster target = out.getRaster();
        int targetBands = target.getNumBands();
        boolean grey = model.getNumColorComponents() == 1;
        int[] shift = new int[bands];
        for (int b = 0; b < bands; b++) {
            shift[b] = model.getComponentSize(b) - 8;
        }
        int[] row = new int[width * bands];
        int[] converted = new int[width * targetBands];
        for (int y = 0; y < image.getHeight(); y++) {
            source.getPixels(0, y, width, 1, row);
            for (int x = 0; x < width; x++) {
                for (int c = 0; c < targetBands; c++) {
                    // Grey + alpha becomes R = G = B = grey, then alpha; colour bands map one to one (band 0 is red).
                    int band = grey ? (c < 3 ? 0 : bands - 1) : c;
                    converted[x * targetBands + c] = row[x * bands + band] >> shift[band];
                }
            }
            target.setPixels(0, y, width, 1, converted);
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
