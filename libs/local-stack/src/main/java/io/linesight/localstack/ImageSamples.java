package io.linesight.localstack;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** Real images from ../shared/data and crafted bad ones, the same for every module's tests. */
public final class ImageSamples {
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    private ImageSamples() {
    }

    /** The shared data folder: LINESIGHT_DATA, else the nearest ancestor's shared/data. */
    public static Path sharedData() {
        String configured = System.getenv("LINESIGHT_DATA");
        if (configured != null) {
            return Path.of(configured);
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared").resolve("data");
            if (Files.isDirectory(candidate.resolve("neu-surface"))) {
                return candidate;
            }
        }
        throw new IllegalStateException("shared/data/neu-surface not found above " + Path.of("").toAbsolutePath()
                + ": clone next to shared/ or set LINESIGHT_DATA");
    }

    public static Path neuSurface() {
        return sharedData().resolve("neu-surface");
    }

    /** One real NEU JPEG, e.g. neuImage("scratches", 1). */
    public static byte[] neuImage(String defectClass, int number) {
        return read(neuSurface().resolve(defectClass).resolve(defectClass + "_" + number + ".jpg"));
    }

    /** A real JPEG cut in half: ImageIO only warns on it, ingest must refuse it. */
    public static byte[] truncatedJpeg() {
        byte[] jpeg = neuImage("inclusion", 1);
        return Arrays.copyOf(jpeg, jpeg.length / 2);
    }

    /** A tiny valid PNG whose header declares width x height: a decompression bomb's signature. */
    public static byte[] pngDeclaring(int width, int height) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(PNG_SIGNATURE);
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height)
                .put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0);
        writeChunk(out, "IHDR", ihdr.array());
        writeChunk(out, "IDAT", new byte[] {0x78, (byte) 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
        writeChunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    /** PNG colour types (the IHDR byte) and their samples per pixel. */
    public enum PngColour {
        GREY(0, 1), RGB(2, 3), PALETTE(3, 1), GREY_ALPHA(4, 2), RGBA(6, 4),
        /** Grey with a tRNS chunk (level 0 transparent): decoded as grey + alpha. */
        GREY_TRANSPARENT(0, 1);

        final int code;
        final int samples;

        PngColour(int code, int samples) {
            this.code = code;
            this.samples = samples;
        }
    }

    /**
     * A real, decodable PNG of width x height whose every sample byte is {@code value}: it deflates about 1000:1, so
     * a 16-bit RGBA one of 36 M pixels is a few hundred KB that decodes to 288 MB. A palette PNG gets a grey palette
     * (index = level).
     */
    public static byte[] uniformPng(int width, int height, int bitDepth, PngColour colour, int value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(PNG_SIGNATURE);
        writeChunk(out, "IHDR", ByteBuffer.allocate(13).putInt(width).putInt(height)
                .put((byte) bitDepth).put((byte) colour.code).put((byte) 0).put((byte) 0).put((byte) 0).array());
        if (colour == PngColour.PALETTE) {
            byte[] palette = new byte[256 * 3];
            for (int i = 0; i < palette.length; i++) {
                palette[i] = (byte) (i / 3);
            }
            writeChunk(out, "PLTE", palette);
        }
        if (colour == PngColour.GREY_TRANSPARENT) {
            writeChunk(out, "tRNS", new byte[2]);
        }
        byte[] row = new byte[1 + (int) (((long) width * colour.samples * bitDepth + 7) / 8)];
        Arrays.fill(row, 1, row.length, (byte) value);
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        try (DeflaterOutputStream deflate = new DeflaterOutputStream(idat, new Deflater(Deflater.BEST_COMPRESSION), 1 << 16)) {
            for (int y = 0; y < height; y++) {
                deflate.write(row);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        writeChunk(out, "IDAT", idat.toByteArray());
        writeChunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    /** A real progressive JPEG of width x height grey pixels (a gradient), the layout that makes decoders buffer most. */
    public static byte[] progressiveJpeg(int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_BYTE_GRAY);
        WritableRaster raster = image.getRaster();
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                row[x] = (x + y) & 0xff;
            }
            raster.setSamples(0, y, width, 1, 0, row);
        }
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            writer.setOutput(stream);
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    /** A real, decodable PNG of random noise at least {@code minBytes} long (noise does not compress). */
    public static byte[] noisePng(int minBytes, long seed) {
        int side = (int) Math.ceil(Math.sqrt(minBytes / 3.0)) + 16;
        BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_3BYTE_BGR);
        Random random = new Random(seed);
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        return encode(image, "png");
    }

    public static byte[] encode(BufferedImage image, String format) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalArgumentException("no ImageIO writer for " + format);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] text(String content) {
        return content.getBytes(StandardCharsets.UTF_8);
    }

    private static void writeChunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    private static byte[] read(Path path) {
        try {
            return Files.readAllBytes(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
