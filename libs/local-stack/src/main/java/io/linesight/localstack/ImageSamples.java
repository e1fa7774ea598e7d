package io.linesight.localstack;

import java.awt.image.BufferedImage;
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
import javax.imageio.ImageIO;

/** Real images from ../shared/data and crafted bad ones, the same for every module's tests. */
public final class ImageSamples {
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
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height)
                .put((byte) 8).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0);
        writeChunk(out, "IHDR", ihdr.array());
        writeChunk(out, "IDAT", new byte[] {0x78, (byte) 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
        writeChunk(out, "IEND", new byte[0]);
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
