package dev.vdisk.kube.agentapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The answer cache on a tiny geometry: 2 acceptances, 3 refusals. */
class ReviewCacheTest {
    private static final Instant T0 = Instant.parse("2026-12-07T12:00:00Z");
    private static final TokenReviewAuthenticator.Review YES = TokenReviewAuthenticator.Review.accepted("ctl");
    private static final TokenReviewAuthenticator.Review NO = TokenReviewAuthenticator.Review.rejected("no");

    @Test
    void refusalsBeyondTheBoundPushOutTheOldestRefusalOnly() {
        ReviewCache cache = new ReviewCache(2, 3);
        cache.put("ctl", YES, T0, T0.plusSeconds(300));
        for (int i = 0; i < 10; i++) {
            cache.put("junk-" + i, NO, T0, T0.plusSeconds(10));
            assertTrue(cache.size() <= 4, "size " + cache.size() + " after " + i);
        }
        assertEquals(Optional.of(YES), cache.get("ctl", T0));
        assertEquals(Optional.empty(), cache.get("junk-6", T0), "pushed out");
        assertEquals(Optional.of(NO), cache.get("junk-7", T0));
        assertEquals(Optional.of(NO), cache.get("junk-9", T0));
    }

    @Test
    void anAnswerIsGoneAtItsDeadlineAndExpiredOnesGoBeforeLiveOnes() {
        ReviewCache cache = new ReviewCache(2, 3);
        cache.put("a", YES, T0, T0.plusSeconds(5));
        cache.put("b", YES, T0, T0.plusSeconds(300));
        assertEquals(Optional.of(YES), cache.get("a", T0.plusSeconds(4)));
        assertEquals(Optional.empty(), cache.get("a", T0.plusSeconds(5)));
        cache.put("a", YES, T0, T0.plusSeconds(5));
        cache.put("c", YES, T0.plusSeconds(6), T0.plusSeconds(300));
        assertEquals(Optional.of(YES), cache.get("b", T0.plusSeconds(6)), "the expired a went, not the older b");
        assertEquals(Optional.of(YES), cache.get("c", T0.plusSeconds(6)));
        cache.put("d", NO, T0, T0);
        assertEquals(Optional.empty(), cache.get("d", T0), "nothing kept for a deadline already reached");
    }

    @Test
    void aNewAnswerForATokenReplacesTheOldOneOfTheOtherKind() {
        ReviewCache cache = new ReviewCache(2, 3);
        cache.put("t", NO, T0, T0.plusSeconds(10));
        cache.put("t", YES, T0, T0.plusSeconds(300));
        assertEquals(Optional.of(YES), cache.get("t", T0));
        assertEquals(1, cache.size());
    }
}
