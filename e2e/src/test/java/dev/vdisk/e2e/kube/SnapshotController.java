package dev.vdisk.e2e.kube;

import dev.vdisk.e2e.chart.Manifests;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The common snapshot support both test clusters add beside the chart, as a distribution ships it: the
 * snapshot.storage.k8s.io CRDs of the assets, and the snapshot controller run as a process under its own service
 * account (from the suite's {@code snapshot-controller.yaml}, which also makes the user's namespace and bindings).
 */
final class SnapshotController {

    private SnapshotController() {}

    /** The VolumeSnapshot, VolumeSnapshotContent and VolumeSnapshotClass CRDs of the assets. */
    static List<HasMetadata> crds(KubeAssets assets) throws IOException {
        List<HasMetadata> crds = new ArrayList<>();
        try (Stream<Path> files = Files.list(assets.snapshotCrds())) {
            for (Path file :
                    files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                crds.addAll(Manifests.parse(Files.readString(file)).objects());
            }
        }
        return crds;
    }

    /** Creates the CRDs and waits until the API server serves each (objects of their kinds are refused before). */
    static void establish(KubernetesClient admin, List<HasMetadata> crds) {
        for (HasMetadata crd : crds) {
            admin.resource(crd).create();
        }
        for (HasMetadata crd : crds) {
            admin.apiextensions()
                    .v1()
                    .customResourceDefinitions()
                    .withName(crd.getMetadata().getName())
                    .waitUntilCondition(
                            c -> c != null
                                    && c.getStatus() != null
                                    && c.getStatus().getConditions().stream()
                                            .anyMatch(k -> k.getType().equals("Established")
                                                    && k.getStatus().equals("True")),
                            60,
                            TimeUnit.SECONDS);
        }
    }

    /** Creates the controller's account and the user's namespace, then starts the controller (log in {@code dir}). */
    static ChildProcess start(ControlPlane plane, KubeAssets assets, Path dir) throws IOException {
        KubernetesClient admin = plane.admin();
        try (InputStream in = SnapshotController.class.getResourceAsStream("snapshot-controller.yaml")) {
            for (HasMetadata object : Manifests.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8))
                    .objects()) {
                admin.resource(object).create();
            }
        }
        Path kubeconfig = plane.kubeconfig(
                "snapshot-controller", plane.token("kube-system", "snapshot-controller", null), "kube-system");
        return ChildProcess.start(
                "snapshot-controller",
                dir,
                List.of(
                        assets.binary("snapshot-controller").toString(),
                        "--kubeconfig=" + kubeconfig,
                        "--leader-election=false",
                        "--v=2"),
                Map.of());
    }
}
