package dev.vdisk.kube.split;

import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;

/** What a PVC name leads to: our volume, something to wait for, or something that will never be splittable. */
sealed interface PvcResolution {

    /** The PVC is bound to a PV of our driver whose CSI volume handle is {@code volumeId}. */
    record Found(PersistentVolumeClaim pvc, String volumeId) implements PvcResolution {}

    /** Not yet (no such PVC, not bound): the request stays Pending and is looked at again. */
    record Waiting(String reason, String message) implements PvcResolution {}

    /** Never (not a CSI volume of this driver): the request fails. {@code pvc} carries the Events. */
    record Refused(PersistentVolumeClaim pvc, String reason, String message) implements PvcResolution {}
}
