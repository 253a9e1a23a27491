package dev.vdisk.kube.agentapi;

import dev.vdisk.engine.core.GuardedBy;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * TokenReview answers by token digest, each until its own deadline. Acceptances and refusals live in separate maps,
 * each bounded (the oldest entry goes first), so a flood of distinct junk tokens only churns the refusals and never
 * pushes out the controller's acceptance. Expired entries are dropped when met and before anything is evicted.
 */
final class ReviewCache {

    private record Entry(TokenReviewAuthenticator.Review review, Instant until) {}

    private final int maxAccepted;
    private final int maxRefused;
    /** Guards both maps; held only for map operations, never across a review. */
    private final Object lock = new Object();

    @GuardedBy("lock")
    private final LinkedHashMap<String, Entry> accepted = new LinkedHashMap<>();

    @GuardedBy("lock")
    private final LinkedHashMap<String, Entry> refused = new LinkedHashMap<>();

    ReviewCache(int maxAccepted, int maxRefused) {
        if (maxAccepted < 1 || maxRefused < 1) {
            throw new IllegalArgumentException("cache bounds must be positive");
        }
        this.maxAccepted = maxAccepted;
        this.maxRefused = maxRefused;
    }

    /** The remembered answer for {@code key}, if it is still valid at {@code now}. */
    Optional<TokenReviewAuthenticator.Review> get(String key, Instant now) {
        synchronized (lock) {
            Optional<TokenReviewAuthenticator.Review> found = lookUpWithoutLocking(accepted, key, now);
            return found.isPresent() ? found : lookUpWithoutLocking(refused, key, now);
        }
    }

    /** Remembers {@code review} for {@code key} until {@code until} (nothing when that is not after {@code now}). */
    void put(String key, TokenReviewAuthenticator.Review review, Instant now, Instant until) {
        if (!until.isAfter(now)) {
            return;
        }
        synchronized (lock) {
            accepted.remove(key);
            refused.remove(key);
            LinkedHashMap<String, Entry> map = review.authenticated() ? accepted : refused;
            int max = review.authenticated() ? maxAccepted : maxRefused;
            if (map.size() >= max) {
                map.values().removeIf(e -> !now.isBefore(e.until()));
            }
            while (map.size() >= max) {
                map.pollFirstEntry();
            }
            map.put(key, new Entry(review, until));
        }
    }

    /** How many answers are held, both kinds (tests). */
    int size() {
        synchronized (lock) {
            return accepted.size() + refused.size();
        }
    }

    private static Optional<TokenReviewAuthenticator.Review> lookUpWithoutLocking(
            Map<String, Entry> map, String key, Instant now) {
        Entry e = map.get(key);
        if (e == null) {
            return Optional.empty();
        }
        if (!now.isBefore(e.until())) {
            map.remove(key);
            return Optional.empty();
        }
        return Optional.of(e.review());
    }
}
