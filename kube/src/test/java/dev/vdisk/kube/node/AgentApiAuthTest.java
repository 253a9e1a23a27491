package dev.vdisk.kube.node;

import static dev.vdisk.kube.node.NodeFixture.MIB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.GetMetadataAllocatedRequest;
import csi.v1.GetMetadataAllocatedResponse;
import csi.v1.SnapshotMetadataGrpc;
import dev.vdisk.kube.agentapi.TestTokens;
import dev.vdisk.node.testing.Privileged;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The internal API serves SnapshotMetadata only to the configured service account, as TokenReview (answered by the
 * mock server's expectation, next to its CRUD mode) says: no token, a rejected token, another account, the right one.
 */
@ExtendWith(Privileged.class)
@EnableKubernetesMockClient(crud = true)
class AgentApiAuthTest {
    private static final String CONTROLLER = "system:serviceaccount:kube-system:vdisk-csi-controller";
    private static final Instant EXP = Instant.now().plusSeconds(3600);
    private static final String CONTROLLER_TOKEN = TestTokens.jwt("controller", EXP);
    private static final String OTHER_TOKEN = TestTokens.jwt("other", EXP);
    private static final String APISERVER_TOKEN = TestTokens.jwt("apiserver", EXP);

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dir;

    @Test
    void onlyTheControllersAccountGetsIn() throws Exception {
        AtomicInteger reviews = new AtomicInteger();
        server.expect()
                .post()
                .withPath("/apis/authentication.k8s.io/v1/tokenreviews")
                .andReply(201, req -> {
                    reviews.incrementAndGet();
                    TokenReview asked = client.getKubernetesSerialization()
                            .unmarshal(req.getBody().readUtf8(), TokenReview.class);
                    String token = asked.getSpec().getToken();
                    List<String> audiences = asked.getSpec().getAudiences();
                    TokenReviewBuilder answer = new TokenReviewBuilder(asked);
                    String who = token.equals(CONTROLLER_TOKEN)
                            ? "controller"
                            : token.equals(OTHER_TOKEN)
                                    ? "other"
                                    : token.equals(APISERVER_TOKEN) ? "apiserver" : "junk";
                    return switch (who) {
                        case "controller" ->
                            answer.withNewStatus()
                                    .withAuthenticated(true)
                                    .withAudiences(audiences)
                                    .withNewUser()
                                    .withUsername(CONTROLLER)
                                    .endUser()
                                    .endStatus()
                                    .build();
                        case "other" ->
                            answer.withNewStatus()
                                    .withAuthenticated(true)
                                    .withAudiences(audiences)
                                    .withNewUser()
                                    .withUsername("system:serviceaccount:default:app")
                                    .endUser()
                                    .endStatus()
                                    .build();
                        case "apiserver" ->
                            answer.withNewStatus()
                                    .withAuthenticated(true)
                                    .withAudiences("https://kubernetes.default.svc")
                                    .withNewUser()
                                    .withUsername(CONTROLLER)
                                    .endUser()
                                    .endStatus()
                                    .build();
                        default ->
                            answer.withNewStatus()
                                    .withAuthenticated(false)
                                    .withError("invalid bearer token")
                                    .endStatus()
                                    .build();
                    };
                })
                .always();

        NodeClusterConfig config = NodeClusterConfig.of(
                NodeFixture.NODE, "127.0.0.1:0", "127.0.0.1:9810", "kube-system:vdisk-csi-controller");
        try (NodeFixture node = new NodeFixture(server, client, dir, config)) {
            node.agent.createVolume("pvc-1", 4 * MIB);
            node.agent.createSnapshot("snap-1", "pvc-1");
            int port = node.cluster.agentApiPort().orElseThrow();
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port)
                    .usePlaintext()
                    .build();
            try {
                assertEquals(Status.Code.UNAUTHENTICATED, call(channel, null), "no token");
                assertEquals(0, reviews.get(), "no token, no review");
                assertEquals(Status.Code.UNAUTHENTICATED, call(channel, "Bearer forged"), "not even a JWT");
                assertEquals(0, reviews.get(), "junk is refused without a review");
                String forged = TestTokens.jwt("controller", EXP) + "x";
                for (int i = 0; i < 20; i++) {
                    assertEquals(
                            Status.Code.UNAUTHENTICATED,
                            call(channel, "Bearer " + forged),
                            "rejected by the API server");
                }
                assertEquals(1, reviews.get(), "20 calls with one bad token, one review");
                assertEquals(Status.Code.UNAUTHENTICATED, call(channel, "Basic Y29udHJvbGxlcg=="), "not a bearer");
                assertEquals(
                        Status.Code.UNAUTHENTICATED,
                        call(channel, "Bearer " + APISERVER_TOKEN),
                        "a token for the API server, not for the agent API");
                assertEquals(Status.Code.PERMISSION_DENIED, call(channel, "Bearer " + OTHER_TOKEN), "another account");
                assertEquals(Status.Code.OK, call(channel, "Bearer " + CONTROLLER_TOKEN), "the controller");
                int before = reviews.get();
                assertEquals(Status.Code.OK, call(channel, "Bearer " + CONTROLLER_TOKEN));
                assertEquals(before, reviews.get(), "an accepted token is remembered for a while");
                // the service's own errors come through mapped, behind authentication
                assertEquals(Status.Code.NOT_FOUND, call(channel, "Bearer " + CONTROLLER_TOKEN, "nope"));
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    private static Status.Code call(ManagedChannel channel, String authorization) {
        return call(channel, authorization, "snap-1");
    }

    private static Status.Code call(ManagedChannel channel, String authorization, String snapshotId) {
        Metadata headers = new Metadata();
        if (authorization != null) {
            headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), authorization);
        }
        var stub = SnapshotMetadataGrpc.newBlockingStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .withDeadlineAfter(10, TimeUnit.SECONDS);
        try {
            Iterator<GetMetadataAllocatedResponse> it =
                    stub.getMetadataAllocated(GetMetadataAllocatedRequest.newBuilder()
                            .setSnapshotId(snapshotId)
                            .build());
            long capacity = 0;
            while (it.hasNext()) {
                capacity = it.next().getVolumeCapacityBytes();
            }
            assertTrue(capacity == 0 || capacity == 4 * MIB, "capacity " + capacity);
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }
}
