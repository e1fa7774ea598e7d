package io.linesight.classifier;

/** A model version that will not serve, and why; the reason labels the refused-swaps metric. */
public class ModelRejectedException extends Exception {
    private final String reason;

    public ModelRejectedException(String reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public ModelRejectedException(String reason, String message) {
        this(reason, message, null);
    }

    public String reason() {
        return reason;
    }
}
