package io.linesight.common;

/** An image that cannot be accepted, with a reason fit to show the sender. */
public class ImageRejectedException extends Exception {
    /** Why: also the label of the rejection metric. */
    public enum Reason {
        UNDECODABLE, TOO_MANY_PIXELS, DECODED_TOO_LARGE, BUSY
    }

    private final Reason reason;

    public ImageRejectedException(Reason reason, String detail) {
        super(detail);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
