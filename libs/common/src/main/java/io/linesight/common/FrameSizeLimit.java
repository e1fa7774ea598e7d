package io.linesight.common;

/**
 * The one frame-size setting. It bounds accepted images and, with room for the protobuf envelope,
 * sets the topics' max.message.bytes, the producers' max.request.size and the consumers'
 * max.partition.fetch.bytes: Kafka's 1 MB defaults would otherwise reject big frames.
 */
public record FrameSizeLimit(int maxFrameBytes) {
    /** Room for the protobuf envelope and record headers around the image. */
    public static final int ENVELOPE_BYTES = 64 * 1024;

    public FrameSizeLimit {
        if (maxFrameBytes <= 0 || maxFrameBytes > Integer.MAX_VALUE - ENVELOPE_BYTES) {
            throw new IllegalArgumentException("frame size limit must be between 1 and "
                    + (Integer.MAX_VALUE - ENVELOPE_BYTES) + " bytes, got " + maxFrameBytes);
        }
    }

    public int maxMessageBytes() {
        return maxFrameBytes + ENVELOPE_BYTES;
    }
}
