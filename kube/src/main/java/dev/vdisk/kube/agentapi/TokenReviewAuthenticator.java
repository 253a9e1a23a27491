package dev.vdisk.kube.agentapi;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who a bearer token belongs to, as the Kubernetes TokenReview API says (the API server checks signature, expiry,
 * audience and that the account and its pod still exist). Accepted tokens are remembered for {@link #CACHE_TTL} by
 * their SHA-256 so a stream of calls costs one review; refusals are not remembered (a retry asks again).
 */
public final class TokenReviewAuthenticator {

    /** How long an accepted token is trusted without asking again; short, so a deleted account is locked out soon. */
    static final Duration CACHE_TTL = Duration.ofSeconds(30);
    /** Beyond this many remembered tokens the cache starts over (a bound, not an LRU: callers are few). */
    private static final int CACHE_MAX = 256;

    /** The answer for one token. */
    public record Review(boolean authenticated, String username, String error) {
        static Review accepted(String username) {
            return new Review(true, username, "");
        }

        static Review rejected(String error) {
            return new Review(false, "", error == null || error.isBlank() ? "the API server did not accept it" : error);
        }
    }

    private record Remembered(String username, Instant until) {
    }

    private final KubernetesClient client;
    private final String audience;
    private final Clock clock;
    /** token digest -> accepted user; read and written by concurrent calls. */
    private final Map<String, Remembered> accepted = new ConcurrentHashMap<>();

    /** {@code audience} empty: the API server's own audiences (plain service-account tokens pass). */
    public TokenReviewAuthenticator(KubernetesClient client, String audience) {
        this(client, audience, Clock.systemUTC());
    }

    TokenReviewAuthenticator(KubernetesClient client, String audience, Clock clock) {
        this.client = client;
        this.audience = audience;
        this.clock = clock;
    }

    /**
     * Reviews {@code token}. Blocks on the API server (callers run on virtual threads).
     *
     * @throws io.fabric8.kubernetes.client.KubernetesClientException when the API server cannot be asked
     */
    public Review review(String token) {
        String key = digest(token);
        Instant now = clock.instant();
        Remembered r = accepted.get(key);
        if (r != null && now.isBefore(r.until())) {
            return Review.accepted(r.username());
        }
        TokenReview asked = new TokenReviewBuilder().withNewSpec().withToken(token)
                .withAudiences(audience.isEmpty() ? List.of() : List.of(audience)).endSpec().build();
        TokenReview answer = client.authentication().v1().tokenReviews().create(asked);
        var status = answer.getStatus();
        if (status == null || !Boolean.TRUE.equals(status.getAuthenticated()) || status.getUser() == null) {
            return Review.rejected(status == null ? null : status.getError());
        }
        if (!audience.isEmpty() && (status.getAudiences() == null || !status.getAudiences().contains(audience))) {
            return Review.rejected("the token is not for audience " + audience);
        }
        if (accepted.size() >= CACHE_MAX) {
            accepted.clear();
        }
        accepted.put(key, new Remembered(status.getUser().getUsername(), now.plus(CACHE_TTL)));
        return Review.accepted(status.getUser().getUsername());
    }

    private static String digest(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
