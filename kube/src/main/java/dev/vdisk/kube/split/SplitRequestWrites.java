package dev.vdisk.kube.split;

import dev.vdisk.kube.reconcile.EventRecorder;
import dev.vdisk.kube.reconcile.ObjectEvent;
import dev.vdisk.kube.resource.ResourceKeys;
import dev.vdisk.kube.resource.SplitRequest;
import dev.vdisk.kube.resource.SplitRequestStatus;
import dev.vdisk.kube.resource.SplitSpec;
import dev.vdisk.kube.resource.VdiskVolume;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@link SplitReconciler} reads fresh from the API server and writes there: a request's status (with the Events
 * its change deserves on the PVC), its finalizer, a volume's {@code spec.split}. Each write is a patch of its own
 * field; called on the split controller's single worker thread.
 */
final class SplitRequestWrites {
    private static final Logger LOG = LoggerFactory.getLogger(SplitRequestWrites.class);

    private final KubernetesClient client;
    private final EventRecorder events;

    SplitRequestWrites(KubernetesClient client, EventRecorder events) {
        this.client = client;
        this.events = events;
    }

    /** The request as it is now, or null. */
    SplitRequest request(String namespace, String name) {
        return requests().inNamespace(namespace).withName(name).get();
    }

    /**
     * Replaces the request's status with one built fresh (a JSON patch of {@code /status} alone, so nothing else the
     * user or another writer changed is overwritten), then records the Events the change deserves. A JSON patch,
     * not a merge patch: a merge patch would have to spell out every removed condition.
     */
    void status(SplitRequest request, SplitRequestStatus next, PersistentVolumeClaim pvc) {
        SplitRequestStatus old = request.getStatus();
        if (next.equals(old)) {
            return;
        }
        SplitRequest written = requests()
                .inNamespace(request.getMetadata().getNamespace())
                .withName(request.getMetadata().getName())
                .subresource("status")
                .patch(
                        PatchContext.of(PatchType.JSON),
                        Serialization.asJson(List.of(Map.of("op", "add", "path", "/status", "value", next))));
        // the finalizer patch that may follow tests the resourceVersion: it must be this write's
        request.getMetadata().setResourceVersion(written.getMetadata().getResourceVersion());
        request.setStatus(next);
        List<ObjectEvent> due = SplitMilestones.between(
                old, next, request.getSpec().mode(), SplitOwner.of(request).requestedBy());
        if (due.isEmpty()) {
            return;
        }
        PersistentVolumeClaim target = pvc != null
                ? pvc
                : client.persistentVolumeClaims()
                        .inNamespace(request.getMetadata().getNamespace())
                        .withName(request.getSpec().pvcName())
                        .get();
        for (ObjectEvent e : due) {
            LOG.info(
                    "split request {}/{}: event {} on pvc {}: {}",
                    request.getMetadata().getNamespace(),
                    request.getMetadata().getName(),
                    e.reason(),
                    request.getSpec().pvcName(),
                    e.message());
            if (target != null) {
                events.record(target, e);
            }
        }
    }

    /** Sets the volume's spec.split (a merge patch of that field alone). */
    void volumeSplit(String volumeId, SplitSpec split) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("split", split);
        volumes()
                .withName(volumeId)
                .patch(PatchContext.of(PatchType.JSON_MERGE), Serialization.asJson(Map.of("spec", spec)));
    }

    /** Adds or removes the request's finalizer {@code vdisk.csi.dev/split}; returns the request as written. */
    SplitRequest finalizer(SplitRequest request, boolean present) {
        List<String> finalizers = withFinalizer(request, present);
        // the test of resourceVersion makes the patch fail on a concurrent change instead of dropping a finalizer
        List<Map<String, Object>> patch = List.of(
                Map.of(
                        "op",
                        "test",
                        "path",
                        "/metadata/resourceVersion",
                        "value",
                        request.getMetadata().getResourceVersion()),
                Map.of("op", "add", "path", "/metadata/finalizers", "value", finalizers));
        return requests()
                .inNamespace(request.getMetadata().getNamespace())
                .withName(request.getMetadata().getName())
                .patch(PatchContext.of(PatchType.JSON), Serialization.asJson(patch));
    }

    private static List<String> withFinalizer(SplitRequest request, boolean present) {
        List<String> out = new ArrayList<>(request.getMetadata().getFinalizers());
        out.remove(ResourceKeys.SPLIT_FINALIZER);
        if (present) {
            out.add(ResourceKeys.SPLIT_FINALIZER);
        }
        return out;
    }

    /** The volume as it is now, or null. */
    VdiskVolume volume(String volumeId) {
        return volumes().withName(volumeId).get();
    }

    private NonNamespaceOperation<VdiskVolume, ?, Resource<VdiskVolume>> volumes() {
        return client.resources(VdiskVolume.class);
    }

    private MixedOperation<SplitRequest, ?, Resource<SplitRequest>> requests() {
        return client.resources(SplitRequest.class);
    }
}
