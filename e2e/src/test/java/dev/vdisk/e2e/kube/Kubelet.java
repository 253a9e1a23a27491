package dev.vdisk.e2e.kube;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The real node's kubelet (1.24.1 from the assets) as a process: a client certificate for
 * {@code system:node:<name>}, its root dir under the test's directory, only loopback listeners, and the settings
 * this sandbox needs (no CAP_SYS_RESOURCE: {@code oomScoreAdj: 0}, {@code maxOpenFiles: 20000}; cgroupfs; swap
 * allowed; no iptables chains of its own). It sets three kernel sysctls when it starts; {@link #restoreSysctls()}
 * puts back the values it found, since the machine is shared.
 */
final class Kubelet implements AutoCloseable {

    /** What the kubelet changes at start (kubelet/cm: setupKernelTunables). */
    private static final List<String> SYSCTLS = List.of("kernel/panic_on_oops", "kernel/panic", "vm/overcommit_memory");

    private final Path rootDir;
    private final Map<String, String> sysctlsBefore = new LinkedHashMap<>();
    private ChildProcess process;

    private Kubelet(Path rootDir) {
        this.rootDir = rootDir;
    }

    static Kubelet start(String nodeName, Path dir, ControlPlane plane, KubeAssets assets, Containerd containerd)
            throws Exception {
        Files.createDirectories(dir);
        Kubelet kubelet = new Kubelet(dir.resolve("root"));
        for (String sysctl : SYSCTLS) {
            kubelet.sysctlsBefore.put(
                    sysctl, Files.readString(Path.of("/proc/sys", sysctl)).strip());
        }
        List<Path> cert = plane.pki().clientCert("kubelet-" + nodeName, "system:node:" + nodeName, "system:nodes");
        Path kubeconfig = dir.resolve("kubeconfig");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: e2e
                  cluster: {server: "%s", certificate-authority: "%s"}
                users:
                - name: kubelet
                  user: {client-certificate: "%s", client-key: "%s"}
                contexts:
                - name: e2e
                  context: {cluster: e2e, user: kubelet}
                current-context: e2e
                """.formatted(plane.url(), plane.pki().caCert(), cert.get(0), cert.get(1)));
        Path config = dir.resolve("config.yaml");
        Files.writeString(config, """
                apiVersion: kubelet.config.k8s.io/v1beta1
                kind: KubeletConfiguration
                address: 127.0.0.1
                port: %d
                readOnlyPort: 0
                healthzBindAddress: 127.0.0.1
                healthzPort: %d
                authentication:
                  anonymous: {enabled: false}
                  webhook: {enabled: false}
                  x509: {clientCAFile: "%s"}
                authorization: {mode: AlwaysAllow}
                cgroupDriver: cgroupfs
                failSwapOn: false
                oomScoreAdj: 0
                maxOpenFiles: 20000
                makeIPTablesUtilChains: false
                volumePluginDir: "%s"
                evictionHard: {memory.available: "1Mi", nodefs.available: "1%%", nodefs.inodesFree: "1%%",
                               imagefs.available: "1%%"}
                imageGCHighThresholdPercent: 100
                imageGCLowThresholdPercent: 99
                serializeImagePulls: false
                """.formatted(
                ControlPlane.freePort(), ControlPlane.freePort(), plane.pki().caCert(), dir.resolve("volume-plugins")));
        try {
            kubelet.process = ChildProcess.start(
                    "kubelet",
                    dir,
                    List.of(
                            assets.binary("kubelet").toString(),
                            "--config=" + config,
                            "--kubeconfig=" + kubeconfig,
                            "--root-dir=" + kubelet.rootDir,
                            "--cert-dir=" + dir.resolve("pki"),
                            "--container-runtime=remote",
                            "--container-runtime-endpoint=" + containerd.endpoint(),
                            "--hostname-override=" + nodeName,
                            "--node-ip=" + PodNetwork.GATEWAY,
                            "--v=2"),
                    Map.of());
            return kubelet;
        } catch (Exception | Error e) {
            kubelet.close();
            throw e;
        }
    }

    /** The kubelet's root dir: the chart's {@code node.kubeletDir}. */
    Path rootDir() {
        return rootDir;
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    String tail() {
        return process.tail();
    }

    /** Writes back what the sysctls were before the kubelet started (it sets them once, at start). */
    void restoreSysctls() {
        for (Map.Entry<String, String> sysctl : sysctlsBefore.entrySet()) {
            try {
                Path file = Path.of("/proc/sys", sysctl.getKey());
                if (!Files.readString(file).strip().equals(sysctl.getValue())) {
                    Files.writeString(file, sysctl.getValue());
                }
            } catch (IOException e) {
                System.err.println("could not restore " + sysctl.getKey() + "=" + sysctl.getValue() + ": " + e);
            }
        }
    }

    @Override
    public void close() {
        if (process != null) {
            process.close();
            process = null;
        }
        restoreSysctls();
    }

    @Override
    public String toString() {
        return "kubelet " + rootDir;
    }
}
