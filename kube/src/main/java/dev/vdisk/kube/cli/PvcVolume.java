package dev.vdisk.kube.cli;

import dev.vdisk.kube.resource.VdiskVolume;
import io.fabric8.kubernetes.api.model.CSIPersistentVolumeSource;
import io.fabric8.kubernetes.api.model.PersistentVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.regex.Pattern;

/**
 * A PVC with what it leads to: its PV, the CSI volume handle and the VdiskVolume of that name.
 *
 * @param pvc      the claim
 * @param pv       its bound PV
 * @param volumeId the CSI volume handle
 * @param volume   the VdiskVolume named after it
 */
record PvcVolume(PersistentVolumeClaim pvc, PersistentVolume pv, String volumeId, VdiskVolume volume) {

    private static final Pattern RESOURCE_NAME = Pattern.compile("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?");

    static PersistentVolumeClaim claim(KubernetesClient client, String namespace, String name) throws PluginException {
        PersistentVolumeClaim pvc = client.persistentVolumeClaims()
                .inNamespace(namespace)
                .withName(name)
                .get();
        if (pvc == null) {
            throw new PluginException(ExitCodes.NOT_FOUND, "PVC " + namespace + "/" + name + " not found");
        }
        return pvc;
    }

    static PvcVolume find(KubernetesClient client, String namespace, String name) throws PluginException {
        PersistentVolumeClaim pvc = claim(client, namespace, name);
        String pvName = pvc.getSpec() == null ? null : pvc.getSpec().getVolumeName();
        if (pvName == null || pvName.isEmpty()) {
            throw new PluginException(ExitCodes.NOT_FOUND, "PVC " + namespace + "/" + name + " is not bound yet");
        }
        PersistentVolume pv = client.persistentVolumes().withName(pvName).get();
        CSIPersistentVolumeSource csi =
                pv == null || pv.getSpec() == null ? null : pv.getSpec().getCsi();
        if (csi == null) {
            throw new PluginException(
                    ExitCodes.NOT_FOUND,
                    "PVC " + namespace + "/" + name + " is bound to PV " + pvName
                            + (pv == null ? ", which does not exist" : ", which is not a CSI volume"));
        }
        // a handle that cannot name a resource (another driver's "server:/export") is not ours: do not ask for it
        VdiskVolume volume = RESOURCE_NAME.matcher(csi.getVolumeHandle()).matches()
                ? client.resources(VdiskVolume.class)
                        .withName(csi.getVolumeHandle())
                        .get()
                : null;
        if (volume == null) {
            throw new PluginException(
                    ExitCodes.NOT_FOUND,
                    "PVC " + namespace + "/" + name + " is bound to PV "
                            + pvName + " (driver " + csi.getDriver() + ", volume " + csi.getVolumeHandle()
                            + "), which is not a vdisk-csi volume in cluster mode (no VdiskVolume "
                            + csi.getVolumeHandle()
                            + ")");
        }
        return new PvcVolume(pvc, pv, csi.getVolumeHandle(), volume);
    }
}
