package dev.vdisk.kube.agentapi;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Who a bearer token belongs to, as the Kubernetes TokenReview API says (the API server checks signature, expiry,
 * audience and that the account and its pod still exist), asked as seldom as possible so that callers with junk
 * cannot load the API server:
 * <ol>
 *   <li>a token that is not a JWT or whose own {@code exp} has passed is refused here (no service-account token
 *       looks like that, and the API server would refuse it too);</li>
 *   <li>answers are remembered by the token's SHA-256 ({@link ReviewCache}): an acceptance until the token's
 *       {@code exp}, at most {@link #ACCEPT_MAX}; a refusal for {@link #REFUSE_TTL};</li>
 *   <li>concurrent calls with the same unknown token share one review;</li>
 *   <li>at most {@link #REVIEWS_AT_ONCE} reviews run at once; a call that waits longer than {@link #REVIEW_WAIT}
 *       for its turn is {@link Unavailable} (the caller retries).</li>
 * </ol>
 */
public final class TokenReviewAuthenticator {

    /** Longest an accepted token is trusted without asking again, so that a deleted account is locked out soon. */
    static final Duration ACCEPT_MAX = Duration.ofMinutes(5);
    /** How long a refusal is remembered: long enough to absorb a flood, short enough for a fixed token to get in. */
    static final Duration REFUSE_TTL = Duration.ofSeconds(10);
    /** Accepted tokens remembered at most: the controller's replicas and their rotated tokens, with room to spare. */
    static final int MAX_ACCEPTED = 256;
    /** Refused tokens remembered at most (a few hundred KiB); beyond it the oldest refusal is forgotten. */
    static final int MAX_REFUSED = 4096;

    static final int REVIEWS_AT_ONCE = 4;
    static final Duration REVIEW_WAIT = Duration.ofSeconds(2);

    /** The answer for one token. */
    public record Review(boolean authenticated, String username, String error) {
        static Review accepted(String username) {
            return new Review(true, username, "");
        }

        static Review rejected(String error) {
            return new Review(false, "", error == null || error.isBlank() ? "the API server did not accept it" : error);
        }
    }

    /** The token could not be checked now (API server unreachable or too many reviews running): retry later. */
    public static final class Unavailable extends RuntimeException {
        Unavailable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final KubernetesClient client;
    private final String audience;
    private final Clock clock;
    private final ReviewCache cache;
    /** Token digest -> the review running for it; the caller that put it there runs it and removes it. */
    private final Map<String, CompletableFuture<Review>> running = new ConcurrentHashMap<>();

    private final Semaphore reviews = new Semaphore(REVIEWS_AT_ONCE);

    /** {@code audience} empty: the API server's own audiences (plain service-account tokens pass). */
    public TokenReviewAuthenticator(KubernetesClient client, String audience) {
        this(client, audience, Clock.systemUTC(), new ReviewCache(MAX_ACCEPTED, MAX_REFUSED));
    }

    TokenReviewAuthenticator(KubernetesClient client, String audience, Clock clock, ReviewCache cache) {
        this.client = client;
        this.audience = audience;
        this.clock = clock;
        this.cache = cache;
    }

    /**
     * Reviews {@code token}. May block on the API server (callers run on virtual threads).
     *
     * @throws Unavailable when the token cannot be checked now
     */
    public Review review(String token) {
        Optional<TokenClaims> claims = TokenClaims.read(token);
        if (claims.isEmpty()) {
            return Review.rejected("not a service-account token (a JWT)");
        }
        Optional<Instant> expiry = claims.get().expiry();
        if (expiry.isPresent() && !expiry.get().isAfter(clock.instant())) {
            return Review.rejected("the token has expired");
        }
        String key = digest(token);
        Optional<Review> known = cache.get(key, clock.instant());
        if (known.isPresent()) {
            return known.get();
        }
        CompletableFuture<Review> mine = new CompletableFuture<>();
        CompletableFuture<Review> theirs = running.putIfAbsent(key, mine);
        if (theirs != null) {
            return await(theirs);
        }
        try {
            // a review that ended between the lookup and putIfAbsent has filled the cache
            Review review = cache.get(key, clock.instant()).orElseGet(() -> ask(key, token, expiry));
            mine.complete(review);
            return review;
        } catch (RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            running.remove(key, mine);
        }
    }

    /** Asks the API server (one of {@link #REVIEWS_AT_ONCE}) and remembers the answer. */
    private Review ask(String key, String token, Optional<Instant> expiry) {
        try {
            if (!reviews.tryAcquire(REVIEW_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new Unavailable("too many tokens are being checked at once; retry", null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted while waiting to check the token", e);
        }
        Review review;
        try {
            review = askWithPermit(token);
        } catch (KubernetesClientException e) {
            throw new Unavailable("cannot check the token with the Kubernetes TokenReview API: " + e.getMessage(), e);
        } finally {
            reviews.release();
        }
        Instant now = clock.instant();
        Instant until = review.authenticated()
                ? expiry.filter(e -> e.isBefore(now.plus(ACCEPT_MAX))).orElse(now.plus(ACCEPT_MAX))
                : now.plus(REFUSE_TTL);
        cache.put(key, review, now, until);
        return review;
    }

    private Review askWithPermit(String token) {
        TokenReview asked = new TokenReviewBuilder()
                .withNewSpec()
                .withToken(token)
                .withAudiences(audience.isEmpty() ? List.of() : List.of(audience))
                .endSpec()
                .build();
        TokenReview answer = client.authentication().v1().tokenReviews().create(asked);
        var status = answer.getStatus();
        if (status == null || !Boolean.TRUE.equals(status.getAuthenticated()) || status.getUser() == null) {
            return Review.rejected(status == null ? null : status.getError());
        }
        if (!audience.isEmpty()
                && (status.getAudiences() == null || !status.getAudiences().contains(audience))) {
            return Review.rejected("the token is not for audience " + audience);
        }
        return Review.accepted(status.getUser().getUsername());
    }

    private static Review await(CompletableFuture<Review> review) {
        try {
            return review.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    /** Answers held in the cache (tests). */
    int cached() {
        return cache.size();
    }

    private static String digest(String token) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
