package dev.vdisk.e2e.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.controller.metadata.SnapshotStreams;
import dev.vdisk.kube.agentapi.AgentApiClient;
import dev.vdisk.kube.agentapi.AgentApiServer;
import dev.vdisk.kube.agentapi.AgentTrust;
import dev.vdisk.kube.agentapi.BearerTokenInterceptor;
import dev.vdisk.kube.agentapi.ServiceAccountName;
import dev.vdisk.kube.agentapi.ServingCertificate;
import dev.vdisk.kube.agentapi.TokenFile;
import dev.vdisk.kube.agentapi.TokenReviewAuthenticator;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node agents' API TLS as the chart sets it up: a generated CA and serving certificate that the driver itself
 * serves and verifies the way the controller dials an agent (by IP, checking the fixed server name), the key only in
 * node pods, and the cert-manager alternative.
 */
class ChartAgentApiTlsTest {
    private static final String SECRET = "vdisk-csi-agent-api-tls";
    private static final String SERVER_NAME = "vdisk-agent." + Helm.NAMESPACE + ".svc";

    @TempDir
    Path dir;

    @Test
    void theGeneratedCertificateIsServedAndVerifiedAsTheControllerDialsAnAgent() throws IOException {
        Manifests chart = Helm.find().render();
        Secret secret = chart.one(Secret.class, SECRET);
        assertEquals("kubernetes.io/tls", secret.getType());
        for (String key : List.of("ca.crt", "tls.crt", "tls.key")) {
            Files.write(
                    dir.resolve(key),
                    Base64.getDecoder().decode(secret.getData().get(key)));
        }
        Container controller = driver(chart.one(Deployment.class, "vdisk-csi-controller")
                .getSpec()
                .getTemplate()
                .getSpec());
        String serverName =
                ChartWorkloadsTest.flag(controller, "--agent-server-name").orElseThrow();
        assertEquals(SERVER_NAME, serverName);

        Path token = dir.resolve("token");
        Files.writeString(token, "not-a-service-account-token");
        // a client with no API server behind it: the token above is refused before any TokenReview
        try (KubernetesClient nowhere = new KubernetesClientBuilder()
                        .withConfig(new ConfigBuilder()
                                .withMasterUrl("https://127.0.0.1:1")
                                .withRequestRetryBackoffLimit(0)
                                .build())
                        .build();
                AgentApiServer agent = AgentApiServer.start(
                        new InetSocketAddress("127.0.0.1", 0),
                        nothing(),
                        new BearerTokenInterceptor(
                                new TokenReviewAuthenticator(nowhere, "vdisk-csi-agent-api"),
                                ServiceAccountName.parse(Helm.NAMESPACE + ":vdisk-csi-controller")),
                        new ServingCertificate(dir.resolve("tls.crt"), dir.resolve("tls.key")));
                AgentApiClient client =
                        new AgentApiClient(new TokenFile(token), new AgentTrust(dir.resolve("ca.crt"), serverName))) {
            StatusRuntimeException e = assertThrows(
                    StatusRuntimeException.class, () -> client.allocated("127.0.0.1:" + agent.port(), "snap-1", 0)
                            .hasNext());
            assertEquals(
                    Status.Code.UNAUTHENTICATED,
                    e.getStatus().getCode(),
                    "through the chart's TLS to the token check: " + e);
        }
    }

    @Test
    void nodePodsMountTheKeyAndTheControllerOnlyTheCa() {
        Manifests chart = Helm.find().render();
        PodSpec node = chart.one(DaemonSet.class, "vdisk-csi-node")
                .getSpec()
                .getTemplate()
                .getSpec();
        Container agent = driver(node);
        assertEquals(
                mountOf(node, agent) + "/tls.crt",
                ChartWorkloadsTest.flag(agent, "--agent-tls-cert").orElseThrow());
        assertEquals(
                mountOf(node, agent) + "/tls.key",
                ChartWorkloadsTest.flag(agent, "--agent-tls-key").orElseThrow());
        assertEquals(0400, secretVolume(node).getSecret().getDefaultMode());

        PodSpec pod = chart.one(Deployment.class, "vdisk-csi-controller")
                .getSpec()
                .getTemplate()
                .getSpec();
        Container controller = driver(pod);
        assertEquals(
                mountOf(pod, controller) + "/ca.crt",
                ChartWorkloadsTest.flag(controller, "--agent-ca-file").orElseThrow());
        assertEquals(
                List.of("ca.crt"),
                secretVolume(pod).getSecret().getItems().stream()
                        .map(i -> i.getKey())
                        .toList(),
                "the controller never gets the agents' key");
    }

    @Test
    void withCertManagerItIssuesTheSameSecretAndTheChartGeneratesNone() {
        Manifests chart = Helm.find()
                .render(
                        "-f",
                        Helm.chart().resolve("ci/cert-manager-values.yaml").toString());
        assertTrue(
                chart.all(Secret.class).stream()
                        .noneMatch(s -> s.getMetadata().getName().equals(SECRET)),
                chart.names().toString());
        List<GenericKubernetesResource> certificates = chart.generic("cert-manager.io/v1", "Certificate");
        GenericKubernetesResource serving = certificates.stream()
                .filter(c -> c.getMetadata().getName().equals("vdisk-csi-agent-api"))
                .findFirst()
                .orElseThrow();
        @SuppressWarnings("unchecked")
        Map<String, Object> spec =
                (Map<String, Object>) serving.getAdditionalProperties().get("spec");
        assertEquals(SECRET, spec.get("secretName"));
        assertEquals(List.of(SERVER_NAME), spec.get("dnsNames"));
        assertEquals("720h", spec.get("duration"));
        @SuppressWarnings("unchecked")
        Map<String, Object> key = (Map<String, Object>) spec.get("privateKey");
        assertEquals("PKCS8", key.get("encoding"), "a key encoding the driver reads");
        assertEquals(2, chart.generic("cert-manager.io/v1", "Issuer").size(), "self-signed, then the release's CA");
        PodSpec node = chart.one(DaemonSet.class, "vdisk-csi-node")
                .getSpec()
                .getTemplate()
                .getSpec();
        assertEquals(SECRET, secretVolume(node).getSecret().getSecretName());
    }

    private static Container driver(PodSpec pod) {
        return ChartWorkloadsTest.container(pod, "vdisk-csi");
    }

    private static Volume secretVolume(PodSpec pod) {
        return pod.getVolumes().stream()
                .filter(v ->
                        v.getSecret() != null && v.getSecret().getSecretName().equals(SECRET))
                .findFirst()
                .orElseThrow();
    }

    private static String mountOf(PodSpec pod, Container container) {
        String volume = secretVolume(pod).getName();
        return container.getVolumeMounts().stream()
                .filter(m -> m.getName().equals(volume))
                .findFirst()
                .orElseThrow()
                .getMountPath();
    }

    /** Nothing gets past authentication here, so the agent behind it is never asked. */
    private static SnapshotStreams nothing() {
        return (SnapshotStreams) Proxy.newProxyInstance(
                SnapshotStreams.class.getClassLoader(), new Class<?>[] {SnapshotStreams.class}, (p, m, a) -> {
                    throw new AssertionError("the agent was asked " + m.getName());
                });
    }
}
