package io.linesight.bench;

import io.linesight.localstack.ImageSamples;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/** Distinct camera frames for the benchmark: NEU's 200x200 JPEGs, and the same upscaled to 640x480. */
final class BenchFrames {
    private BenchFrames() {
    }

    static List<byte[]> neu(int count) {
        try (Stream<Path> files = Files.walk(ImageSamples.neuSurface())) {
            List<byte[]> images = new ArrayList<>();
            for (Path file : files.filter(p -> p.toString().endsWith(".jpg")).sorted().limit(count).toList()) {
                images.add(Files.readAllBytes(file));
            }
            return images;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<byte[]> upscaled(List<byte[]> jpegs, int width, int height) {
        List<byte[]> out = new ArrayList<>();
        for (byte[] jpeg : jpegs) {
            out.add(ImageSamples.encode(scaled(jpeg, width, height, BufferedImage.TYPE_3BYTE_BGR), "jpg"));
        }
        return out;
    }

    /** A JPEG decoded and resized (bilinear) to width x height, as an image of {@code type}. */
    static BufferedImage scaled(byte[] jpeg, int width, int height, int type) {
        try {
            BufferedImage source = ImageIO.read(new ByteArrayInputStream(jpeg));
            BufferedImage image = new BufferedImage(width, height, type);
            Graphics2D g = image.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(source, 0, 0, width, height, null);
            g.dispose();
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
