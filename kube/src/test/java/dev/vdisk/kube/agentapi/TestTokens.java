package dev.vdisk.kube.agentapi;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/** Bearer tokens shaped like service-account tokens (JWTs); the signature is junk, as only TokenReview checks it. */
public final class TestTokens {
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private TestTokens() {}

    /** A JWT for {@code subject} that expires at {@code exp}. */
    public static String jwt(String subject, Instant exp) {
        return encode("{\"sub\":\"" + subject + "\",\"exp\":" + exp.getEpochSecond() + "}");
    }

    /** A JWT for {@code subject} without an {@code exp} claim. */
    public static String jwt(String subject) {
        return encode("{\"sub\":\"" + subject + "\"}");
    }

    private static String encode(String payload) {
        return B64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8)) + "."
                + B64.encodeToString(payload.getBytes(StandardCharsets.UTF_8)) + "."
                + B64.encodeToString("not-a-signature".getBytes(StandardCharsets.UTF_8));
    }
}
