package dev.vdisk.kube.testing;

import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/** The mock API server's answers to TokenReview, for the tests of the node's authenticated internal API. */
public final class TokenReviews {
    private TokenReviews() {}

    /**
     * Answers TokenReview as the API server would: a token {@code valid} accepts is {@code user}'s (audience kept),
     * any other is refused. Returns the count of reviews asked.
     */
    public static AtomicInteger answer(
            KubernetesMockServer server, KubernetesClient client, Predicate<String> valid, String user) {
        AtomicInteger reviews = new AtomicInteger();
        server.expect()
                .post()
                .withPath("/apis/authentication.k8s.io/v1/tokenreviews")
                .andReply(201, req -> {
                    reviews.incrementAndGet();
                    TokenReview asked = client.getKubernetesSerialization()
                            .unmarshal(req.getBody().readUtf8(), TokenReview.class);
                    TokenReviewBuilder answer = new TokenReviewBuilder(asked);
                    return valid.test(asked.getSpec().getToken())
                            ? answer.withNewStatus()
                                    .withAuthenticated(true)
                                    .withAudiences(asked.getSpec().getAudiences())
                                    .withNewUser()
                                    .withUsername(user)
                                    .endUser()
                                    .endStatus()
                                    .build()
                            : answer.withNewStatus()
                                    .withAuthenticated(false)
                                    .withError("invalid bearer token")
                                    .endStatus()
                                    .build();
                })
                .always();
        return reviews;
    }
}
