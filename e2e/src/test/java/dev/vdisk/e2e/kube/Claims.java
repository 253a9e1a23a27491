package dev.vdisk.e2e.kube;

import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * What users and the scheduler do in the suite, with the waits that follow: PVCs (created by the user, who has
 * the namespace's edit role) with the scheduler's selected-node annotation, VolumeSnapshots, and their outcome.
 * A wait that runs out fails with the object's events, which is where the sidecars say what went wrong.
 */
final class Claims {

    static final Duration WAIT = Duration.ofSeconds(90);

    private final RealCluster cluster;
    private final KubernetesClient admin;
    private final KubernetesClient user;

    Claims(RealCluster cluster) {
        this.cluster = cluster;
        this.admin = cluster.admin();
        this.user = cluster.userClient();
    }

    KubernetesClient user() {
        return user;
    }

    /** A PVC of the chart's class, as the user writes it, with the node the scheduler would pick. */
    PersistentVolumeClaim create(String name, String size, String node, String dataSourceKind, String dataSourceName) {
        PersistentVolumeClaimBuilder pvc = new PersistentVolumeClaimBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(RealCluster.USER_NAMESPACE)
                .addToAnnotations("volume.kubernetes.io/selected-node", node)
                .endMetadata()
                .withNewSpec()
                .withAccessModes("ReadWriteOnce")
                .withStorageClassName(RealCluster.CLASS)
                .withNewResources()
                .addToRequests("storage", new Quantity(size))
                .endResources()
                .endSpec();
        if (dataSourceKind != null) {
            String group = dataSourceKind.equals("VolumeSnapshot") ? "snapshot.storage.k8s.io" : null;
            pvc.editSpec()
                    .withNewDataSource()
                    .withApiGroup(group)
                    .withKind(dataSourceKind)
                    .withName(dataSourceName)
                    .endDataSource()
                    .endSpec();
        }
        return user.persistentVolumeClaims().resource(pvc.build()).create();
    }

    PersistentVolumeClaim awaitBound(String name) {
        return await(
                "PVC " + name + " Bound",
                () -> pvc(name).get(),
                p -> p != null && "Bound".equals(p.getStatus().getPhase()),
                "PersistentVolumeClaim",
                name);
    }

    Resource<PersistentVolumeClaim> pvc(String name) {
        return user.persistentVolumeClaims()
                .inNamespace(RealCluster.USER_NAMESPACE)
                .withName(name);
    }

    PersistentVolume pv(String pvcName) {
        String volume = pvc(pvcName).get().getSpec().getVolumeName();
        return admin.persistentVolumes().withName(volume).get();
    }

    /** The node whose pool holds the PVC's volume (where the kubelet of its pod stages it). */
    DriverNode nodeOf(String pvcName) {
        PersistentVolume pv = pv(pvcName);
        Object spec = vdisk("VdiskVolume", pv.getSpec().getCsi().getVolumeHandle())
                .get()
                .getAdditionalProperties()
                .get("spec");
        return cluster.node((String) ((Map<?, ?>) spec).get("nodeName"));
    }

    /** A VolumeSnapshot of a PVC (created by the admin: the edit role has no snapshot permissions by default). */
    void snapshot(String name, String pvcName) {
        admin.genericKubernetesResources("snapshot.storage.k8s.io/v1", "VolumeSnapshot")
                .inNamespace(RealCluster.USER_NAMESPACE)
                .resource(new GenericKubernetesResourceBuilder()
                        .withApiVersion("snapshot.storage.k8s.io/v1")
                        .withKind("VolumeSnapshot")
                        .withNewMetadata()
                        .withName(name)
                        .endMetadata()
                        .addToAdditionalProperties(
                                "spec",
                                Map.of(
                                        "volumeSnapshotClassName",
                                        RealCluster.CLASS,
                                        "source",
                                        Map.of("persistentVolumeClaimName", pvcName)))
                        .build())
                .create();
    }

    Resource<GenericKubernetesResource> volumeSnapshot(String name) {
        return admin.genericKubernetesResources("snapshot.storage.k8s.io/v1", "VolumeSnapshot")
                .inNamespace(RealCluster.USER_NAMESPACE)
                .withName(name);
    }

    GenericKubernetesResource awaitReadyToUse(String name) {
        return await(
                "VolumeSnapshot " + name + " readyToUse",
                () -> volumeSnapshot(name).get(),
                s -> s != null && Boolean.TRUE.equals(status(s).get("readyToUse")),
                "VolumeSnapshot",
                name);
    }

    @SuppressWarnings("unchecked")
    /** Stages and publishes the claim's volume on its node, reads {@code data.txt}, and takes the volume down. */
    String readData(String pvcName) throws Exception {
        PersistentVolume pv = pv(pvcName);
        DriverNode node = nodeOf(pvcName);
        Path mount = node.stageAndPublish(pv, "pod-" + pvcName);
        try {
            return Files.readString(mount.resolve("data.txt"));
        } finally {
            node.unpublishAndUnstage(pv, "pod-" + pvcName);
        }
    }

    /** Creates SplitRequest {@code name} for the claim as the namespace's user does. */
    void requestSplit(String name, String pvcName, String mode) {
        user().genericKubernetesResources("vdisk.csi.dev/v1alpha1", "SplitRequest")
                .inNamespace(RealCluster.USER_NAMESPACE)
                .resource(new GenericKubernetesResourceBuilder()
                        .withApiVersion("vdisk.csi.dev/v1alpha1")
                        .withKind("SplitRequest")
                        .withNewMetadata()
                        .withName(name)
                        .endMetadata()
                        .addToAdditionalProperties("spec", Map.of("pvcName", pvcName, "mode", mode))
                        .build())
                .create();
    }

    static Map<String, Object> status(GenericKubernetesResource object) {
        Object status = object.getAdditionalProperties().get("status");
        return status instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
    }

    /** The VdiskVolume (or other vdisk resource) by name, as the driver keeps it. */
    Resource<GenericKubernetesResource> vdisk(String kind, String name) {
        return admin.genericKubernetesResources("vdisk.csi.dev/v1alpha1", kind).withName(name);
    }

    /** Events about one object in the user's namespace, one line each, for failure messages and assertions. */
    String events(String kind, String name) {
        return admin.v1().events().inNamespace(RealCluster.USER_NAMESPACE).list().getItems().stream()
                .filter(e -> kind.equals(e.getInvolvedObject().getKind())
                        && name.equals(e.getInvolvedObject().getName()))
                .map(e -> e.getType() + " " + e.getReason() + ": " + e.getMessage())
                .collect(Collectors.joining("\n"));
    }

    <T> T await(String what, Supplier<T> get, Predicate<T> done, String kind, String name) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        T last = null;
        while (System.nanoTime() < deadline) {
            last = get.get();
            if (done.test(last)) {
                return last;
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
        fail(what + ": not after " + WAIT.toSeconds() + " s; events of " + kind + " " + name + ":\n"
                + events(kind, name) + "\nlast seen: " + last);
        return last;
    }
}
