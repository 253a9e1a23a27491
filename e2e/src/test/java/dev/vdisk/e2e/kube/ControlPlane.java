package dev.vdisk.e2e.kube;

import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * etcd, kube-apiserver and kube-controller-manager as processes on loopback ports, the way envtest runs them: RBAC,
 * service-account tokens signed with a throwaway key, a static admin token, and an audit log of every request. The
 * controller manager binds PVCs to provisioned PVs, runs the ReplicaSets of the chart's Deployment (whose pods stay
 * Pending: there is no scheduler) and aggregates cluster roles.
 */
final class ControlPlane implements AutoCloseable {

    /** Static tokens: the test's admin, and a user who gets only the namespace's edit role and the chart's viewer. */
    static final String ADMIN = "admin";

    static final String USER = "e2e-user";

    private final Path dir;
    private final Pki pki;
    private final int apiPort;
    private final String adminToken;
    private final String userToken;
    private final Path auditLog;
    private final List<ChildProcess> processes = new ArrayList<>();
    private KubernetesClient admin;
    private Path etcdData;

    private ControlPlane(Path dir, Pki pki, int apiPort) {
        this.dir = dir;
        this.pki = pki;
        this.apiPort = apiPort;
        this.adminToken = UUID.randomUUID().toString();
        this.userToken = UUID.randomUUID().toString();
        this.auditLog = dir.resolve("audit.log");
    }

    static ControlPlane start(KubeAssets assets, Path dir) throws Exception {
        Files.createDirectories(dir);
        Pki pki = Pki.create(dir.resolve("pki"));
        ControlPlane plane = new ControlPlane(dir, pki, freePort());
        try {
            plane.startProcesses(assets);
            return plane;
        } catch (Exception | Error e) {
            plane.close();
            throw e;
        }
    }

    private void startProcesses(KubeAssets assets) throws Exception {
        int etcdClient = freePort();
        int etcdPeer = freePort();
        // etcd's data on tmpfs where there is one: fsyncs on a shared disk are the slowest part of the API server
        Path shm = Path.of("/dev/shm");
        etcdData = Files.isDirectory(shm) ? Files.createTempDirectory(shm, "vdisk-e2e-etcd") : dir.resolve("etcd");
        String etcdUrl = "http://127.0.0.1:" + etcdClient;
        String peerUrl = "http://127.0.0.1:" + etcdPeer;
        processes.add(ChildProcess.start(
                "etcd",
                dir,
                List.of(
                        assets.etcd().toString(),
                        "--name",
                        "e2e",
                        "--data-dir",
                        etcdData.toString(),
                        "--listen-client-urls",
                        etcdUrl,
                        "--advertise-client-urls",
                        etcdUrl,
                        "--listen-peer-urls",
                        peerUrl,
                        "--initial-advertise-peer-urls",
                        peerUrl,
                        "--initial-cluster",
                        "e2e=" + peerUrl),
                Map.of()));
        Files.writeString(
                dir.resolve("tokens.csv"),
                adminToken + "," + ADMIN + ",admin-uid,system:masters\n" + userToken + "," + USER + ",user-uid\n");
        Files.writeString(dir.resolve("audit-policy.yaml"), """
                apiVersion: audit.k8s.io/v1
                kind: Policy
                omitStages: ["RequestReceived"]
                rules:
                  - level: Metadata
                """);
        processes.add(ChildProcess.start(
                "kube-apiserver",
                dir,
                List.of(
                        assets.binary("kube-apiserver").toString(),
                        "--etcd-servers=" + etcdUrl,
                        "--bind-address=127.0.0.1",
                        "--advertise-address=127.0.0.1",
                        "--secure-port=" + apiPort,
                        "--cert-dir=" + dir.resolve("apiserver-certs"),
                        "--tls-cert-file=" + pki.serverCert(),
                        "--tls-private-key-file=" + pki.serverKey(),
                        "--client-ca-file=" + pki.caCert(),
                        "--token-auth-file=" + dir.resolve("tokens.csv"),
                        "--authorization-mode=Node,RBAC",
                        "--enable-admission-plugins=NodeRestriction",
                        "--service-account-issuer=https://kubernetes.default.svc",
                        "--service-account-key-file=" + pki.serviceAccountPub(),
                        "--service-account-signing-key-file=" + pki.serviceAccountKey(),
                        "--service-cluster-ip-range=10.96.0.0/16",
                        "--endpoint-reconciler-type=none",
                        "--allow-privileged=true",
                        "--audit-policy-file=" + dir.resolve("audit-policy.yaml"),
                        "--audit-log-path=" + auditLog,
                        "--audit-log-format=json",
                        "--audit-log-mode=blocking"),
                Map.of()));
        awaitReady();
        admin = client(adminToken, "default");
        Path adminConfig = kubeconfig("admin", adminToken, "default");
        processes.add(ChildProcess.start(
                "kube-controller-manager",
                dir,
                List.of(
                        assets.binary("kube-controller-manager").toString(),
                        "--kubeconfig=" + adminConfig,
                        "--controllers=*",
                        "--use-service-account-credentials",
                        "--service-account-private-key-file=" + pki.serviceAccountKey(),
                        "--root-ca-file=" + pki.caCert(),
                        "--leader-elect=false",
                        "--bind-address=127.0.0.1",
                        "--secure-port=0"),
                Map.of()));
    }

    private void awaitReady() throws Exception {
        SSLContext tls = SSLContext.getInstance("TLS");
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (var in = Files.newInputStream(pki.caCert())) {
            trust.setCertificateEntry(
                    "ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        tls.init(null, tmf.getTrustManagers(), null);
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        try (HttpClient http = HttpClient.newBuilder()
                .sslContext(tls)
                .connectTimeout(Duration.ofSeconds(2))
                .build()) {
            HttpRequest readyz = HttpRequest.newBuilder(URI.create(url() + "/readyz"))
                    .header("Authorization", "Bearer " + adminToken)
                    .timeout(Duration.ofSeconds(5))
                    .build();
            while (System.nanoTime() < deadline) {
                for (ChildProcess p : processes) {
                    if (!p.isAlive()) {
                        throw new IllegalStateException("exited while the API server started: " + p.tail());
                    }
                }
                try {
                    if (http.send(readyz, HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                        return;
                    }
                } catch (IOException e) {
                    // not listening yet
                }
                Thread.sleep(250);
            }
        }
        throw new IllegalStateException(
                "the API server was not ready in 90 s: " + processes.getLast().tail());
    }

    String url() {
        return "https://127.0.0.1:" + apiPort;
    }

    KubernetesClient admin() {
        return admin;
    }

    Path auditLog() {
        return auditLog;
    }

    Pki pki() {
        return pki;
    }

    int port() {
        return apiPort;
    }

    String adminToken() {
        return adminToken;
    }

    String userToken() {
        return userToken;
    }

    List<ChildProcess> processes() {
        return List.copyOf(processes);
    }

    /** A client authenticated with a bearer token, trusting only the test CA. */
    KubernetesClient client(String token, String namespace) {
        Config config = new ConfigBuilder(Config.empty())
                .withMasterUrl(url())
                .withCaCertFile(pki.caCert().toString())
                .withOauthToken(token)
                .withNamespace(namespace)
                .withRequestTimeout(30_000)
                .build();
        return new KubernetesClientBuilder().withConfig(config).build();
    }

    /** A service-account token from the TokenRequest API (what the kubelet projects into a pod). */
    String token(String namespace, String serviceAccount, String audience) {
        TokenRequestBuilder request = new TokenRequestBuilder()
                .withNewSpec()
                .withExpirationSeconds(7200L)
                .endSpec();
        if (audience != null) {
            request.editSpec().withAudiences(audience).endSpec();
        }
        TokenRequest answer = admin.serviceAccounts()
                .inNamespace(namespace)
                .withName(serviceAccount)
                .tokenRequest(request.build());
        return answer.getStatus().getToken();
    }

    /** A kubeconfig file with this token, for one component or user. */
    Path kubeconfig(String name, String token, String namespace) throws IOException {
        Path file = dir.resolve("kubeconfig-" + name);
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: e2e
                  cluster: {server: "%s", certificate-authority: "%s"}
                users:
                - name: %s
                  user: {token: "%s"}
                contexts:
                - name: e2e
                  context: {cluster: e2e, user: %s, namespace: %s}
                current-context: e2e
                """.formatted(url(), pki.caCert(), name, token, name, namespace));
        return file;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        if (admin != null) {
            admin.close();
        }
        for (ChildProcess p : processes.reversed()) {
            p.close();
        }
        if (etcdData != null) {
            try (var walk = Files.walk(etcdData)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                System.err.println("could not delete etcd's data " + etcdData + ": " + e);
            }
        }
    }
}
