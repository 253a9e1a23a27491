package dev.vdisk.kube.it;

import dev.vdisk.kube.resource.ResourceKeys;
import io.fabric8.kubernetes.api.model.PersistentVolumeBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaimBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/** What the cluster-mode tests put into the mock API server: the CRDs and bound PVCs. */
final class ClusterApiServer {
    private ClusterApiServer() {}

    /** The generated CRDs, so that the mock server keeps status and spec apart as a real API server does. */
    static void installCrds(KubernetesClient client) throws IOException {
        for (String plural :
                List.of("vdiskvolumes", "vdisksnapshots", "vdiskgroupsnapshots", "vdisknodes", "splitrequests")) {
            try (InputStream in = ClusterApiServer.class.getResourceAsStream(
                    "/META-INF/fabric8/" + plural + "." + ResourceKeys.GROUP + "-v1.yml")) {
                if (in == null) {
                    throw new IOException("generated CRD of " + plural + " not on the classpath");
                }
                client.apiextensions()
                        .v1()
                        .customResourceDefinitions()
                        .resource(client.getKubernetesSerialization().unmarshal(in, CustomResourceDefinition.class))
                        .create();
            }
        }
    }

    /** A PVC {@code pvc} in {@code namespace} bound to PV {@code pv-<pvc>} of the volume, as the provisioner leaves them. */
    static void boundPvc(KubernetesClient client, String driver, String namespace, String pvc, String volumeId) {
        client.persistentVolumes()
                .resource(new PersistentVolumeBuilder()
                        .withNewMetadata()
                        .withName("pv-" + pvc)
                        .endMetadata()
                        .withNewSpec()
                        .addToCapacity("storage", new Quantity("16Mi"))
                        .withNewCsi()
                        .withDriver(driver)
                        .withVolumeHandle(volumeId)
                        .endCsi()
                        .withNewClaimRef()
                        .withNamespace(namespace)
                        .withName(pvc)
                        .endClaimRef()
                        .endSpec()
                        .build())
                .create();
        client.persistentVolumeClaims()
                .inNamespace(namespace)
                .resource(new PersistentVolumeClaimBuilder()
                        .withNewMetadata()
                        .withName(pvc)
                        .withNamespace(namespace)
                        .endMetadata()
                        .withNewSpec()
                        .withVolumeName("pv-" + pvc)
                        .withAccessModes("ReadWriteOnce")
                        .withNewResources()
                        .addToRequests("storage", new Quantity("16Mi"))
                        .endResources()
                        .endSpec()
                        .build())
                .create();
    }
}
