package dev.vdisk.e2e.chart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Value sets: every file in charts/vdisk-csi/ci lints and renders; every file in charts/tools/invalid-values is
 * refused with the message on its {@code # expect:} line (the same files .ci/run checks with charts/tools/check-chart).
 */
class ChartValueSetsTest {

    static Stream<Path> validSets() throws IOException {
        return files(Helm.chart().resolve("ci"));
    }

    static Stream<Path> invalidSets() throws IOException {
        return files(Helm.repoRoot().resolve("charts/tools/invalid-values"));
    }

    @ParameterizedTest
    @MethodSource("validSets")
    void validSetLintsAndRenders(Path values) {
        Helm helm = Helm.find();
        Helm.Result lint = helm.lint("-f", values.toString());
        assertEquals(0, lint.exitCode(), lint.stdout() + lint.stderr());
        Manifests chart = helm.render("-f", values.toString(), "--include-crds");
        assertFalse(chart.all(DaemonSet.class).isEmpty());
    }

    @ParameterizedTest
    @MethodSource("invalidSets")
    void invalidSetIsRefusedWithItsMessage(Path values) throws IOException {
        String expect = Files.readAllLines(values).stream()
                .filter(l -> l.startsWith("# expect: "))
                .findFirst()
                .orElseThrow(() -> new AssertionError(values + " has no '# expect:' line"))
                .substring("# expect: ".length());
        Helm.Result result = Helm.find().template("-f", values.toString());
        assertNotEquals(0, result.exitCode(), values + " was accepted");
        assertTrue(result.stderr().contains(expect), "expected '" + expect + "' in:\n" + result.stderr());
    }

    @Test
    void everyOptionalPartAppearsWhenTurnedOn() {
        Manifests chart = Helm.find()
                .render(
                        "-f",
                        Helm.chart().resolve("ci/all-features-values.yaml").toString());
        var pod = chart.one(Deployment.class, "vdisk-csi-controller")
                .getSpec()
                .getTemplate()
                .getSpec();
        var sidecar = ChartWorkloadsTest.container(pod, "csi-snapshot-metadata");
        assertTrue(sidecar.getArgs()
                .containsAll(List.of("--tls-cert=/tmp/certificates/tls.crt", "--tls-key=/tmp/certificates/tls.key")));
        assertTrue(pod.getVolumes().stream()
                .anyMatch(v -> v.getSecret() != null
                        && v.getSecret().getSecretName().equals("vdisk-csi-snapshot-metadata-tls")));
        Service service = chart.one(Service.class, "vdisk-csi-snapshot-metadata");
        assertEquals(
                "snapshot-meta",
                service.getSpec().getPorts().getFirst().getTargetPort().getStrVal());
        assertTrue(sidecar.getPorts().stream().anyMatch(p -> p.getName().equals("snapshot-meta")));
        assertEquals(
                Map.of(
                        "app.kubernetes.io/name",
                        "vdisk-csi",
                        "app.kubernetes.io/instance",
                        "vdisk-csi",
                        "app.kubernetes.io/component",
                        "controller"),
                service.getSpec().getSelector());
        GenericKubernetesResource sms = chart.generic("cbt.storage.k8s.io/v1beta1", "SnapshotMetadataService")
                .getFirst();
        assertEquals(
                "vdisk.csi.dev", sms.getMetadata().getName(), "named after the driver, as backup tools look it up");
        @SuppressWarnings("unchecked")
        Map<String, Object> spec =
                (Map<String, Object>) sms.getAdditionalProperties().get("spec");
        assertEquals("vdisk-csi-snapshot-metadata.vdisk-system:6443", spec.get("address"));
        assertTrue(ChartWorkloadsTest.container(pod, "csi-snapshotter")
                .getArgs()
                .contains("--feature-gates=CSIVolumeGroupSnapshot=true"));
    }

    @Test
    void anotherKubeletDirectoryMovesEveryKubeletPath() {
        Manifests chart = Helm.find()
                .render("-f", Helm.chart().resolve("ci/minimal-values.yaml").toString());
        var pod = chart.one(DaemonSet.class, "vdisk-csi-node")
                .getSpec()
                .getTemplate()
                .getSpec();
        String kubelet = "/var/lib/k0s/kubelet";
        assertEquals(
                kubelet,
                ChartWorkloadsTest.flag(ChartWorkloadsTest.container(pod, "vdisk-csi"), "--kubelet-dir")
                        .orElseThrow());
        assertEquals(
                kubelet + "/plugins/vdisk.csi.dev/csi.sock",
                ChartWorkloadsTest.flag(
                                ChartWorkloadsTest.container(pod, "node-driver-registrar"),
                                "--kubelet-registration-path")
                        .orElseThrow());
        List<String> hostPaths = pod.getVolumes().stream()
                .filter(v -> v.getHostPath() != null)
                .map(v -> v.getHostPath().getPath())
                .toList();
        assertTrue(
                hostPaths.containsAll(List.of(
                        kubelet, kubelet + "/plugins_registry", kubelet + "/plugins/vdisk.csi.dev", "/mnt/fast/vdisk")),
                hostPaths.toString());
        assertTrue(hostPaths.stream().noneMatch(p -> p.startsWith("/var/lib/kubelet")), "nothing left at the default");
        assertEquals(
                "500G",
                ChartWorkloadsTest.flag(ChartWorkloadsTest.container(pod, "vdisk-csi"), "--pool-size")
                        .orElseThrow());
        assertEquals(
                1, chart.one(Deployment.class, "vdisk-csi-controller").getSpec().getReplicas());
    }

    @Test
    void aClusterBefore130IsRefusedUnlessTheTestsSkipTheCheck() {
        Helm helm = Helm.find();
        Helm.Result refused = helm.template("--kube-version", "1.29.9");
        assertNotEquals(0, refused.exitCode());
        assertTrue(
                refused.stderr().contains("vdisk-csi needs Kubernetes 1.30 or later; this cluster is v1.29.9"),
                refused.stderr());
        // what the real-node suite installs on its Kubernetes 1.24 binaries
        List<String> args = new ArrayList<>(List.of("--kube-version", "1.24.1", "--set", "skipKubeVersionCheck=true"));
        for (String sidecar : List.of(
                "provisioner.image=registry.k8s.io/sig-storage/csi-provisioner:v3.4.1",
                "resizer.image=registry.k8s.io/sig-storage/csi-resizer:v1.7.0")) {
            args.addAll(List.of("--set", "sidecars." + sidecar));
        }
        assertFalse(
                helm.render(args.toArray(String[]::new)).all(Deployment.class).isEmpty());
    }

    @Test
    void aClusterBefore134IsToldWhichSidecarsToPin() {
        Helm helm = Helm.find();
        Helm.Result refused = helm.template("--kube-version", "1.33.2");
        assertNotEquals(0, refused.exitCode());
        assertTrue(
                refused.stderr().contains("sidecars.provisioner.image v6.3.0 needs Kubernetes 1.34 or later"),
                refused.stderr());
        Manifests pinned = helm.render(
                "--kube-version",
                "1.33.2",
                "--set",
                "sidecars.provisioner.image=registry.k8s.io/sig-storage/csi-provisioner:v5.3.0",
                "--set",
                "sidecars.resizer.image=registry.k8s.io/sig-storage/csi-resizer:v1.14.0");
        assertFalse(pinned.all(Deployment.class).isEmpty());
        assertEquals(0, helm.template("--kube-version", "1.34.0").exitCode());
    }

    private static Stream<Path> files(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> list =
                    files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
            assertFalse(list.isEmpty(), "no value sets in " + dir);
            return list.stream();
        }
    }
}
