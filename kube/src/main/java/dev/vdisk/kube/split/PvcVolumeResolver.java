package dev.vdisk.kube.split;

import io.fabric8.kubernetes.api.model.CSIPersistentVolumeSource;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.KubernetesClient;

/** PVC → bound PV ({@code spec.volumeName}) → CSI volume handle, only for PVs of our driver. */
final class PvcVolumeResolver {

    private final KubernetesClient client;
    private final String driverName;

    PvcVolumeResolver(KubernetesClient client, String driverName) {
        this.client = client;
        this.driverName = driverName;
    }

    PvcResolution resolve(String namespace, String pvcName) {
        PersistentVolumeClaim pvc = client.persistentVolumeClaims()
                .inNamespace(namespace)
                .withName(pvcName)
                .get();
        if (pvc == null) {
            return new PvcResolution.Waiting("PvcNotFound", "PVC " + namespace + "/" + pvcName + " does not exist");
        }
        String pvName = pvc.getSpec() == null ? null : pvc.getSpec().getVolumeName();
        if (pvName == null || pvName.isEmpty()) {
            return new PvcResolution.Waiting(
                    "PvcNotBound", "PVC " + namespace + "/" + pvcName + " is not bound to a volume yet");
        }
        PersistentVolume pv = client.persistentVolumes().withName(pvName).get();
        if (pv == null) {
            return new PvcResolution.Waiting(
                    "PvNotFound", "PV " + pvName + " of PVC " + namespace + "/" + pvcName + " does not exist");
        }
        CSIPersistentVolumeSource csi =
                pv.getSpec() == null ? null : pv.getSpec().getCsi();
        if (csi == null || !driverName.equals(csi.getDriver())) {
            return new PvcResolution.Refused(
                    pvc,
                    "NotVdiskVolume",
                    "PVC " + namespace + "/" + pvcName
                            + " is bound to PV " + pvName + ", which is not a " + driverName + " volume"
                            + (csi == null ? "" : " (its CSI driver is " + csi.getDriver() + ")"));
        }
        return new PvcResolution.Found(pvc, csi.getVolumeHandle());
    }
}
