package dev.vdisk.kube.agentapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.GetMetadataAllocatedRequest;
import csi.v1.SnapshotMetadataGrpc;
import dev.vdisk.controller.metadata.SnapshotStreams;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent API over real TLS on a loopback port, with certificates made by openssl: the controller's client talks
 * only to an agent whose certificate its CA signed for the fixed server name, and nothing reaches the agent in
 * plaintext. "Reached" is seen on the fake API server: a call that gets through carries a JWT the agent reviews.
 */
@EnableKubernetesMockClient
class AgentApiTlsTest {
    private static final String NAME = AgentTrust.defaultServerName("kube-system");
    private static final ServiceAccountName CONTROLLER = ServiceAccountName.parse("kube-system:vdisk-csi-controller");

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dir;

    final AtomicInteger reviews = new AtomicInteger();
    TestCertificates certs;
    Path ca;
    TokenFile token;
    AgentApiServer agent;
    AgentApiClient controller;

    @BeforeEach
    void setUp() throws IOException {
        certs = new TestCertificates(dir);
        ca = certs.ca("ca");
        certs.ca("rogue-ca");
        server.expect()
                .post()
                .withPath("/apis/authentication.k8s.io/v1/tokenreviews")
                .andReply(201, req -> {
                    reviews.incrementAndGet();
                    TokenReview asked = client.getKubernetesSerialization()
                            .unmarshal(req.getBody().readUtf8(), TokenReview.class);
                    return new TokenReviewBuilder(asked)
                            .withNewStatus()
                            .withAuthenticated(false)
                            .withError("the test lets nobody in")
                            .endStatus()
                            .build();
                })
                .always();
        token = new TokenFile(dir.resolve("token"));
        Files.writeString(
                token.path(), TestTokens.jwt("controller", Instant.now().plusSeconds(3600)));
    }

    @AfterEach
    void tearDown() {
        if (controller != null) {
            controller.close();
        }
        if (agent != null) {
            agent.close();
        }
    }

    @Test
    void theControllerReachesAnAgentWhoseCertificateItsCaSignedForTheServerName() throws IOException {
        String address = start(certs.serving("agent", "ca", NAME));
        controller = new AgentApiClient(token, new AgentTrust(ca, NAME));
        assertEquals(Status.Code.UNAUTHENTICATED, call(address), "through TLS to the token check");
        assertEquals(1, reviews.get(), "the token arrived");
    }

    @Test
    void theControllerRefusesAnAgentWhoseCertificateAnotherCaSigned() throws IOException {
        String address = start(certs.serving("impostor", "rogue-ca", NAME));
        controller = new AgentApiClient(token, new AgentTrust(ca, NAME));
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> call(address));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
        assertEquals(0, reviews.get(), "the token never left the controller");
    }

    @Test
    void theControllerRefusesACertificateOfItsCaForAnotherName() throws IOException {
        String address = start(certs.serving("elsewhere", "ca", "some-service.default.svc"));
        controller = new AgentApiClient(token, new AgentTrust(ca, NAME));
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> call(address));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
        assertEquals(0, reviews.get());
    }

    @Test
    void aCaReplacedInItsFileIsReadAgainAfterTheAgentWasRefused() throws IOException {
        String address = start(certs.serving("renewed", "rogue-ca", NAME));
        Path caFile = dir.resolve("mounted-ca.crt");
        Files.copy(ca, caFile);
        controller = new AgentApiClient(token, new AgentTrust(caFile, NAME));
        assertThrows(StatusRuntimeException.class, () -> call(address), "not the CA in the file");
        Files.copy(dir.resolve("rogue-ca.crt"), caFile, StandardCopyOption.REPLACE_EXISTING);
        assertEquals(Status.Code.UNAUTHENTICATED, call(address), "the next call dials again with the new CA");
        assertEquals(1, reviews.get());
    }

    @Test
    void aRenewedCertificateIsServedWithoutARestartAndABrokenOneKeepsThePrevious() throws Exception {
        ServingCertificate first = certs.serving("first", "ca", NAME);
        ServingCertificate renewed = certs.serving("renewed", "rogue-ca", NAME); // from another CA, to tell them apart
        Path mounted = dir.resolve("mounted");
        Files.createDirectories(mounted);
        ServingCertificate files = new ServingCertificate(mounted.resolve("tls.crt"), mounted.resolve("tls.key"));
        Files.copy(first.certFile(), files.certFile());
        Files.copy(first.keyFile(), files.keyFile());
        agent = AgentApiServer.start(
                new InetSocketAddress("127.0.0.1", 0), nothing(), auth(), files, Duration.ofMillis(100));
        String address = "127.0.0.1:" + agent.port();
        try (AgentApiClient before = new AgentApiClient(token, new AgentTrust(ca, NAME))) {
            assertEquals(Status.Code.UNAUTHENTICATED, call(before, address));
        }
        Files.writeString(files.certFile(), "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n");
        Thread.sleep(500);
        try (AgentApiClient during = new AgentApiClient(token, new AgentTrust(ca, NAME))) {
            assertEquals(Status.Code.UNAUTHENTICATED, call(during, address), "a broken file keeps the previous pair");
        }
        Files.copy(renewed.keyFile(), files.keyFile(), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(renewed.certFile(), files.certFile(), StandardCopyOption.REPLACE_EXISTING);
        Thread.sleep(500);
        try (AgentApiClient after = new AgentApiClient(token, new AgentTrust(dir.resolve("rogue-ca.crt"), NAME))) {
            assertEquals(Status.Code.UNAUTHENTICATED, call(after, address), "the renewed certificate is served");
        }
        try (AgentApiClient old = new AgentApiClient(token, new AgentTrust(ca, NAME))) {
            assertThrows(StatusRuntimeException.class, () -> call(old, address), "the first one is not");
        }
    }

    @Test
    void aPlaintextClientCannotTalkToTheTlsAgent() throws Exception {
        String address = start(certs.serving("agent", "ca", NAME));
        ManagedChannel plain =
                NettyChannelBuilder.forTarget(address).usePlaintext().build();
        try {
            var responses = SnapshotMetadataGrpc.newBlockingStub(plain)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .getMetadataAllocated(GetMetadataAllocatedRequest.newBuilder()
                            .setSnapshotId("s")
                            .build());
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, responses::hasNext);
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
        } finally {
            plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        assertEquals(0, reviews.get());
    }

    @Test
    void withoutACertificateTheAgentServesOnLoopbackOnly() throws IOException {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> AgentApiServer.start(new InetSocketAddress("0.0.0.0", 0), nothing(), auth(), null));
        assertTrue(e.getMessage().contains("needs a TLS certificate"), e.getMessage());
        String address = start(null);
        controller = new AgentApiClient(token);
        assertEquals(Status.Code.UNAUTHENTICATED, call(address), "plaintext on loopback");
        assertEquals(1, reviews.get());
    }

    @Test
    void withoutACaTheControllerSendsItsTokenToLoopbackOnly() {
        controller = new AgentApiClient(token);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> call("10.1.2.3:9810"));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode());
        assertTrue(
                e.getStatus().getDescription().contains("--agent-ca-file"),
                e.getStatus().getDescription());
        assertTrue(AgentApiClient.loopback("127.0.0.1:1")
                && AgentApiClient.loopback("[::1]:1")
                && AgentApiClient.loopback("localhost:1"));
        assertTrue(!AgentApiClient.loopback("10.1.2.3:1") && !AgentApiClient.loopback("loopback.example.com:1"));
    }

    @Test
    void aKeyThatIsNotTheCertificatesStopsTheStart() throws IOException {
        ServingCertificate one = certs.serving("one", "ca", NAME);
        ServingCertificate two = certs.serving("two", "ca", NAME);
        IOException e = assertThrows(
                IOException.class,
                () -> AgentApiServer.start(
                        new InetSocketAddress("127.0.0.1", 0),
                        nothing(),
                        auth(),
                        new ServingCertificate(one.certFile(), two.keyFile())));
        assertTrue(e.getMessage().contains("does not belong to the certificate"), e.getMessage());
    }

    private String start(ServingCertificate certificate) throws IOException {
        agent = AgentApiServer.start(new InetSocketAddress("127.0.0.1", 0), nothing(), auth(), certificate);
        return "127.0.0.1:" + agent.port();
    }

    private BearerTokenInterceptor auth() {
        return new BearerTokenInterceptor(new TokenReviewAuthenticator(client, "vdisk-csi-agent-api"), CONTROLLER);
    }

    /** The status of an ALLOCATED stream through the controller's client. */
    private Status.Code call(String address) {
        return call(controller, address);
    }

    private static Status.Code call(AgentApiClient client, String address) {
        try {
            boolean unused = client.allocated(address, "snap-1", 0).hasNext(); // the call happens on the first hasNext
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
                throw e;
            }
            return e.getStatus().getCode();
        }
    }

    /** No call gets past authentication here, so the agent behind it is never asked. */
    private static SnapshotStreams nothing() {
        return (SnapshotStreams) Proxy.newProxyInstance(
                SnapshotStreams.class.getClassLoader(), new Class<?>[] {SnapshotStreams.class}, (p, m, a) -> {
                    throw new AssertionError("the agent was asked " + m.getName());
                });
    }
}
