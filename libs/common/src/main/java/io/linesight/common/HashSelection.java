package io.linesight.common;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Deterministic selection by hash: the same id is chosen the same way by every service, replica and
 * replay, so audit frames and holdout splits never depend on arrival order.
 */
public final class HashSelection {
    private HashSelection() {
    }

    /** A uniform fraction in [0, 1) derived from the SHA-256 of the key. */
    public static double fraction(String key) {
        byte[] digest = Sha256.digest(key.getBytes(StandardCharsets.UTF_8));
        long top53 = ByteBuffer.wrap(digest).getLong() >>> 11;
        return top53 / (double) (1L << 53);
    }

    /** Whether ingest marks the frame for blind operator audit: hash(frameId) &lt; audit rate. */
    public static boolean isAudit(String frameId, double auditRate) {
        return fraction(frameId) < auditRate;
    }

    /**
     * Whether an audit image may join the trainer's holdout, by the SHA-256 of its content (not its frame id: the same
     * image streamed twice must land on one side). The trainer freezes the answer at the content's first sample.
     */
    public static boolean isHoldout(String contentSha256, double holdoutFraction) {
        return fraction("holdout:" + contentSha256) < holdoutFraction;
    }
}
