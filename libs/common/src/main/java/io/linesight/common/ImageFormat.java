package io.linesight.common;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** The image types cameras may send, by HTTP content type. */
public enum ImageFormat {
    JPEG("image/jpeg", "jpeg"),
    PNG("image/png", "png"),
    BMP("image/bmp", "bmp");

    private final String contentType;
    private final String imageIoName;

    ImageFormat(String contentType, String imageIoName) {
        this.contentType = contentType;
        this.imageIoName = imageIoName;
    }

    public String contentType() {
        return contentType;
    }

    String imageIoName() {
        return imageIoName;
    }

    /** The format of a content type such as "image/png; charset=x", ignoring parameters and case. */
    public static Optional<ImageFormat> ofContentType(String contentType) {
        if (contentType == null) {
            return Optional.empty();
        }
        String bare = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(f -> f.contentType.equals(bare)).findFirst();
    }
}
