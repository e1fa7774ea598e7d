package io.linesight.common;

import com.google.protobuf.ByteString;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 as used in frames, samples and model manifests: lower-case hex. */
public final class Sha256 {
    private Sha256() {
    }

    public static byte[] digest(byte[] data) {
        return newDigest().digest(data);
    }

    public static String hex(byte[] data) {
        return HexFormat.of().formatHex(digest(data));
    }

    /** Of a protobuf bytes field, without copying it. */
    public static String hex(ByteString data) {
        MessageDigest digest = newDigest();
        digest.update(data.asReadOnlyByteBuffer());
        return HexFormat.of().formatHex(digest.digest());
    }

    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM ships SHA-256", e);
        }
    }
}
