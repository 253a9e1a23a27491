package dev.vdisk.e2e.kube;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TypedLocalObjectReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What a user of the real node creates, as the README's examples do: PVCs of the chart's class (optionally from a
 * snapshot or another PVC, or raw block), VolumeSnapshots, and pods that run one shell script against their volumes
 * in the driver's image (it has a shell and coreutils) and end; the outcome is the pod's phase.
 */
record NodeWorkloads(KubernetesClient admin, String namespace) {

    static final String CLASS = "vdisk";

    /** A PVC of 64Mi; {@code source} is null, {@code VolumeSnapshot/<name>} or {@code PersistentVolumeClaim/<name>}. */
    void claim(String name, String source, boolean block) {
        PersistentVolumeClaimBuilder pvc = new PersistentVolumeClaimBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .withNewSpec()
                .withStorageClassName(CLASS)
                .withAccessModes("ReadWriteOnce")
                .withVolumeMode(block ? "Block" : "Filesystem")
                .withNewResources()
                .addToRequests("storage", new Quantity("64Mi"))
                .endResources()
                .endSpec();
        if (source != null) {
            String[] kindName = source.split("/");
            String group = kindName[0].equals("VolumeSnapshot") ? "snapshot.storage.k8s.io" : null;
            pvc.editSpec()
                    .withDataSource(new TypedLocalObjectReference(group, kindName[0], kindName[1]))
                    .endSpec();
        }
        admin.persistentVolumeClaims()
                .inNamespace(namespace)
                .resource(pvc.build())
                .create();
    }

    /** A VolumeSnapshot of a PVC with the chart's class; waits until it is ready to use. */
    void snapshot(String name, String claim) {
        var snapshots = admin.genericKubernetesResources("snapshot.storage.k8s.io/v1", "VolumeSnapshot")
                .inNamespace(namespace);
        snapshots
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
                                        CLASS,
                                        "source",
                                        Map.of("persistentVolumeClaimName", claim)))
                        .build())
                .create();
        snapshots.withName(name).waitUntilCondition(s -> s != null && readyToUse(s), 120, TimeUnit.SECONDS);
    }

    private static boolean readyToUse(GenericKubernetesResource snapshot) {
        Object status = snapshot.getAdditionalProperties().get("status");
        return status instanceof Map<?, ?> map && Boolean.TRUE.equals(map.get("readyToUse"));
    }

    /**
     * Runs {@code script} in a pod with each claim at /{claim name} (a block claim as the device /dev/{claim
     * name}), as {@code uid} with {@code fsGroup} (null: none); returns the ended pod (Succeeded or Failed).
     */
    Pod run(String name, List<String> claims, List<String> blockClaims, long uid, Long fsGroup, String script)
            throws IOException {
        admin.resource(pod(name, claims, blockClaims, uid, fsGroup, script)).create();
        return awaitEnd(name);
    }

    /** Like {@link #run} (uid 0, mount claims only) but returns once the pod runs, for a script that loops. */
    Pod start(String name, List<String> claims, String script) throws IOException {
        admin.resource(pod(name, claims, List.of(), 0, null, script)).create();
        return admin.pods()
                .inNamespace(namespace)
                .withName(name)
                .waitUntilCondition(
                        p -> p != null && !"Pending".equals(p.getStatus().getPhase()), 180, TimeUnit.SECONDS);
    }

    /** The pod {@link #run} and {@link #start} create. */
    private Pod pod(String name, List<String> claims, List<String> blockClaims, long uid, Long fsGroup, String script)
            throws IOException {
        PodBuilder pod = new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .endMetadata()
                .withNewSpec()
                .withRestartPolicy("Never")
                .withTerminationGracePeriodSeconds(5L)
                .withNewSecurityContext()
                .withRunAsUser(uid)
                .withFsGroup(fsGroup)
                .endSecurityContext()
                .addNewContainer()
                .withName("app")
                .withImage(RealNode.driverImage())
                .withImagePullPolicy("IfNotPresent")
                .withCommand("sh", "-c", script)
                .endContainer()
                .endSpec();
        for (String claim : claims) {
            pod.editSpec()
                    .editFirstContainer()
                    .addNewVolumeMount()
                    .withName(claim)
                    .withMountPath("/" + claim)
                    .endVolumeMount()
                    .endContainer()
                    .endSpec();
        }
        for (String claim : blockClaims) {
            pod.editSpec()
                    .editFirstContainer()
                    .addNewVolumeDevice()
                    .withName(claim)
                    .withDevicePath("/dev/" + claim)
                    .endVolumeDevice()
                    .endContainer()
                    .endSpec();
        }
        for (String claim : concat(claims, blockClaims)) {
            pod.editSpec()
                    .addNewVolume()
                    .withName(claim)
                    .withNewPersistentVolumeClaim()
                    .withClaimName(claim)
                    .endPersistentVolumeClaim()
                    .endVolume()
                    .endSpec();
        }
        return pod.build();
    }

    /** Waits until the pod ended (Succeeded or Failed). */
    Pod awaitEnd(String name) {
        return admin.pods()
                .inNamespace(namespace)
                .withName(name)
                .waitUntilCondition(
                        p -> p != null
                                && List.of("Succeeded", "Failed")
                                        .contains(p.getStatus().getPhase()),
                        180,
                        TimeUnit.SECONDS);
    }

    /** Sets an annotation on a PVC, as {@code kubectl annotate pvc} does. */
    void annotate(String claim, String key, String value) {
        admin.persistentVolumeClaims().inNamespace(namespace).withName(claim).edit(p -> {
            p.getMetadata().getAnnotations().put(key, value);
            return p;
        });
    }

    /** Waits until the SplitRequest the driver made (or the user) reports phase Succeeded; returns its status. */
    Map<?, ?> awaitSplit(String request) {
        var requests = admin.genericKubernetesResources("vdisk.csi.dev/v1alpha1", "SplitRequest")
                .inNamespace(namespace);
        GenericKubernetesResource done = requests.withName(request)
                .waitUntilCondition(
                        r -> r != null
                                && r.getAdditionalProperties().get("status") instanceof Map<?, ?> status
                                && "Succeeded".equals(status.get("phase")),
                        180,
                        TimeUnit.SECONDS);
        return (Map<?, ?>) done.getAdditionalProperties().get("status");
    }

    private static List<String> concat(List<String> a, List<String> b) {
        return Stream.concat(a.stream(), b.stream()).toList();
    }

    /** Deletes a pod and waits until it is gone (its volumes unpublished and unstaged). */
    void deletePod(String name) {
        admin.pods().inNamespace(namespace).withName(name).delete();
        admin.pods().inNamespace(namespace).withName(name).waitUntilCondition(p -> p == null, 90, TimeUnit.SECONDS);
    }

    /** Deletes claims in this order and waits until their PVs are gone (the driver deleted the volumes). */
    void deleteClaims(String... claims) {
        for (String claim : claims) {
            String volume = admin.persistentVolumeClaims()
                    .inNamespace(namespace)
                    .withName(claim)
                    .get()
                    .getSpec()
                    .getVolumeName();
            admin.persistentVolumeClaims()
                    .inNamespace(namespace)
                    .withName(claim)
                    .delete();
            admin.persistentVolumes().withName(volume).waitUntilCondition(pv -> pv == null, 90, TimeUnit.SECONDS);
        }
    }

    /** Deletes a VolumeSnapshot and waits until it is gone (its content deleted by the driver). */
    void deleteSnapshot(String name) {
        var snapshots = admin.genericKubernetesResources("snapshot.storage.k8s.io/v1", "VolumeSnapshot")
                .inNamespace(namespace);
        snapshots.withName(name).delete();
        snapshots.withName(name).waitUntilCondition(s -> s == null, 90, TimeUnit.SECONDS);
    }
}
