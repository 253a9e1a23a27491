package dev.vdisk.kube.agentapi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * What a bearer token says about itself, read without checking its signature: only whether it is shaped like a
 * service-account token (a JWT: three base64url parts, a JSON object in the middle) and its {@code exp}. Never used
 * to let a call in; only to refuse junk without asking the API server and to bound how long an answer is remembered
 * (for a token the API server accepted, the payload is the one it checked the signature of).
 *
 * @param expiry the {@code exp} claim, empty when the token has none
 */
record TokenClaims(Optional<Instant> expiry) {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Far above any real service-account token (a few KiB); longer ones are not parsed. */
    private static final int MAX_LENGTH = 16 * 1024;

    /** The claims, or empty when {@code token} is not a JWT (no service-account token looks like that). */
    static Optional<TokenClaims> read(String token) {
        if (token.length() > MAX_LENGTH) {
            return Optional.empty();
        }
        String[] parts = token.split("\\.", -1);
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty() || parts[2].isEmpty()) {
            return Optional.empty();
        }
        try {
            JsonNode payload = JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
            if (payload == null || !payload.isObject()) {
                return Optional.empty();
            }
            JsonNode exp = payload.get("exp");
            if (exp == null || exp.isNull()) {
                return Optional.of(new TokenClaims(Optional.empty()));
            }
            if (!exp.isNumber()) {
                return Optional.empty();
            }
            return Optional.of(new TokenClaims(Optional.of(Instant.ofEpochSecond(exp.asLong()))));
        } catch (IllegalArgumentException | IOException e) {
            return Optional.empty();
        }
    }
}
