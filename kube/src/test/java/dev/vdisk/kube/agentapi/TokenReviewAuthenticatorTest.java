package dev.vdisk.kube.agentapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.kube.testing.TokenReviews;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * TokenReview is asked as seldom as the answers allow (counted on the mock API server): a flood with one bad token
 * costs one review, an accepted token one review until its own expiry (at most five minutes), junk none.
 */
@EnableKubernetesMockClient
class TokenReviewAuthenticatorTest {
    private static final String CONTROLLER = "system:serviceaccount:kube-system:vdisk-csi-controller";
    private static final String AUDIENCE = "vdisk-csi-agent-api";
    private static final Instant T0 = Instant.parse("2026-12-07T12:00:00Z");
    /** The refusal bound of these tests (the real one, 4096, is the same code and would cost 4096 reviews). */
    private static final int MAX_REFUSED = 64;

    KubernetesMockServer server;
    KubernetesClient client;

    /** Tokens the fake API server accepts as the controller's. */
    final Set<String> valid = ConcurrentHashMap.newKeySet();

    AtomicInteger reviews;
    final MovingClock clock = new MovingClock(T0);
    TokenReviewAuthenticator authenticator;

    @BeforeEach
    void answerTokenReviews() {
        reviews = TokenReviews.answer(server, client, valid::contains, CONTROLLER);
        authenticator = new TokenReviewAuthenticator(client, AUDIENCE, clock, new ReviewCache(4, MAX_REFUSED));
    }

    @Test
    void aFloodOfCallsWithOneBadTokenCostsOneReview() throws Exception {
        String bad = TestTokens.jwt("intruder", T0.plusSeconds(3600));
        CountDownLatch go = new CountDownLatch(1);
        List<Future<TokenReviewAuthenticator.Review>> calls = new ArrayList<>();
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 200; i++) {
                calls.add(threads.submit(() -> {
                    go.await();
                    return authenticator.review(bad);
                }));
            }
            go.countDown();
            for (var call : calls) {
                assertFalse(call.get().authenticated());
            }
        }
        assertEquals(1, reviews.get(), "200 concurrent calls with the same bad token");
        clock.advance(TokenReviewAuthenticator.REFUSE_TTL.minusSeconds(1));
        assertFalse(authenticator.review(bad).authenticated());
        assertEquals(1, reviews.get(), "the refusal is remembered for 10 s");
        clock.advance(Duration.ofSeconds(1));
        assertFalse(authenticator.review(bad).authenticated());
        assertEquals(2, reviews.get(), "then the API server is asked again (the token may have been fixed)");
    }

    @Test
    void anAcceptedTokenIsReviewedOnceUntilItExpires() {
        String token = TestTokens.jwt("controller", T0.plusSeconds(200));
        valid.add(token);
        for (int s = 0; s < 200; s += 20) {
            clock.set(T0.plusSeconds(s));
            assertEquals(CONTROLLER, authenticator.review(token).username(), "at +" + s + " s");
        }
        assertEquals(1, reviews.get(), "ten calls over 180 s, one review");
        clock.set(T0.plusSeconds(200));
        TokenReviewAuthenticator.Review expired = authenticator.review(token);
        assertFalse(expired.authenticated(), "past its exp the token is not trusted, even though it was cached");
        assertEquals("the token has expired", expired.error());
        assertEquals(1, reviews.get(), "an expired token is refused without asking");
    }

    @Test
    void anAcceptedTokenIsAskedAgainAfterFiveMinutesHoweverLongItLives() {
        String longLived = TestTokens.jwt("controller", T0.plus(Duration.ofDays(365)));
        String noExpiry = TestTokens.jwt("controller-legacy");
        valid.add(longLived);
        valid.add(noExpiry);
        assertTrue(authenticator.review(longLived).authenticated());
        assertTrue(authenticator.review(noExpiry).authenticated());
        clock.advance(TokenReviewAuthenticator.ACCEPT_MAX.minusSeconds(1));
        assertTrue(authenticator.review(longLived).authenticated());
        assertTrue(authenticator.review(noExpiry).authenticated());
        assertEquals(2, reviews.get());
        clock.advance(Duration.ofSeconds(1));
        valid.clear(); // the account was deleted
        assertFalse(authenticator.review(longLived).authenticated(), "after 5 min the API server is asked again");
        assertFalse(authenticator.review(noExpiry).authenticated());
        assertEquals(4, reviews.get());
    }

    @Test
    void junkThatIsNoServiceAccountTokenNeverReachesTheApiServer() {
        for (String junk : List.of(
                "forged",
                "a.b",
                "a.b.c",
                "x." + "e30" + ".",
                "x.bm90IGpzb24.y",
                "x.WzFd.y",
                "x.eyJleHAiOiJzb29uIn0.y",
                "x".repeat(20_000) + ".e30.y",
                TestTokens.jwt("controller", T0.minusSeconds(1)),
                TestTokens.jwt("controller", T0))) {
            assertFalse(authenticator.review(junk).authenticated(), junk);
        }
        assertEquals(0, reviews.get());
    }

    @Test
    void aFloodOfDistinctBadTokensKeepsTheCacheBoundedAndTheControllerCached() {
        String controller = TestTokens.jwt("controller", T0.plusSeconds(3600));
        valid.add(controller);
        assertTrue(authenticator.review(controller).authenticated());
        int flood = MAX_REFUSED + 100;
        for (int i = 0; i < flood; i++) {
            assertFalse(authenticator
                    .review(TestTokens.jwt("junk-" + i, T0.plusSeconds(3600)))
                    .authenticated());
        }
        assertEquals(1 + flood, reviews.get());
        assertEquals(1 + MAX_REFUSED, authenticator.cached(), "bounded");
        assertTrue(authenticator.review(controller).authenticated());
        assertEquals(1 + flood, reviews.get(), "the junk did not push the controller's acceptance out");
    }

    @Test
    void anApiServerThatCannotAnswerMakesTheCallUnavailableAndIsNotRemembered() {
        String token = TestTokens.jwt("controller", T0.plusSeconds(3600));
        // a port nobody listens on, and no retries (fabric8's backoff would take 20 s)
        try (KubernetesClient unreachable = new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder()
                        .withMasterUrl("https://127.0.0.1:1")
                        .withRequestRetryBackoffLimit(0)
                        .build())
                .build()) {
            authenticator = new TokenReviewAuthenticator(unreachable, AUDIENCE, clock, new ReviewCache(4, 4));
            assertThrows(TokenReviewAuthenticator.Unavailable.class, () -> authenticator.review(token));
            assertEquals(0, authenticator.cached(), "no answer, nothing remembered");
        }
    }

    /** A clock the test moves. */
    static final class MovingClock extends Clock {
        private volatile Instant now;

        MovingClock(Instant now) {
            this.now = now;
        }

        void advance(Duration d) {
            now = now.plus(d);
        }

        void set(Instant t) {
            now = t;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
