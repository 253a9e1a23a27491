package dev.vdisk.kube.split;

import dev.vdisk.kube.reconcile.EventRecorder;
import dev.vdisk.kube.reconcile.ObjectEvent;
import dev.vdisk.kube.resource.EventReasons;
import dev.vdisk.kube.resource.ObjectNames;
import dev.vdisk.kube.resource.ResourceKeys;
import dev.vdisk.kube.resource.SplitRequest;
import dev.vdisk.kube.resource.SplitRequestSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code kubectl annotate pvc NAME vdisk.csi.dev/split=share|copy} as a split request: the annotation creates a
 * SplitRequest named {@code <pvc>-split} owned by the PVC (so it shows in {@code kubectl get vsplit} and goes with
 * the PVC), and removing the annotation deletes it, which cancels a split still running. An optional
 * {@code vdisk.csi.dev/split-rate} annotation ({@code 200MiB/s}) limits its rate.
 */
final class SplitAnnotations {

    /** Label on the requests this class creates, so that only those are ever deleted by it. */
    static final String FROM_LABEL = ResourceKeys.GROUP + "/split-from";

    static final String FROM_ANNOTATION = "annotation";
    static final String RATE_ANNOTATION = ResourceKeys.GROUP + "/split-rate";

    private static final Logger LOG = LoggerFactory.getLogger(SplitAnnotations.class);

    private final KubernetesClient client;
    private final EventRecorder events;
    /** PVC uid + bad values already reported, so a resync or another PVC change does not repeat the Warning. */
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    SplitAnnotations(KubernetesClient client, EventRecorder events) {
        this.client = client;
        this.events = events;
    }

    static String requestName(String pvcName) {
        return ObjectNames.withSuffix(pvcName, "-split");
    }

    /** Whether this PVC needs looking at: it carries the annotation, or once carried it ({@code owned} exists). */
    static boolean concerns(PersistentVolumeClaim pvc, boolean owned) {
        return owned || annotations(pvc).containsKey(ResourceKeys.SPLIT_ANNOTATION);
    }

    /** @param owned the request this class created for the PVC earlier, null if none */
    void reconcile(PersistentVolumeClaim pvc, SplitRequest owned) {
        String ns = pvc.getMetadata().getNamespace();
        String name = pvc.getMetadata().getName();
        String mode = annotations(pvc).get(ResourceKeys.SPLIT_ANNOTATION);
        if (mode == null || pvc.getMetadata().getDeletionTimestamp() != null) {
            if (owned != null && owned.getMetadata().getDeletionTimestamp() == null) {
                client.resources(SplitRequest.class)
                        .inNamespace(ns)
                        .withName(owned.getMetadata().getName())
                        .delete();
                LOG.info(
                        "pvc {}/{}: split annotation removed, split request {} deleted",
                        ns,
                        name,
                        owned.getMetadata().getName());
            }
            return;
        }
        if (owned != null) {
            return; // one request per annotation; remove and re-add the annotation to split again
        }
        Long rate;
        try {
            if (!mode.equals("share") && !mode.equals("copy")) {
                throw new IllegalArgumentException("'" + mode + "' is not a split mode; use share or copy");
            }
            String rateText = annotations(pvc).get(RATE_ANNOTATION);
            rate = rateText == null ? null : ByteUnits.parseRate(rateText);
        } catch (IllegalArgumentException e) {
            if (warned.add(pvc.getMetadata().getUid() + "|" + mode + "|"
                    + annotations(pvc).get(RATE_ANNOTATION))) {
                events.record(
                        pvc, ObjectEvent.warning(EventReasons.SPLIT_FAILED, "bad split annotation: " + e.getMessage()));
            }
            return;
        }
        SplitRequest request = new SplitRequest();
        request.setMetadata(new ObjectMetaBuilder()
                .withName(requestName(name))
                .withNamespace(ns)
                .addToLabels(FROM_LABEL, FROM_ANNOTATION)
                .addToOwnerReferences(new OwnerReferenceBuilder()
                        .withApiVersion("v1")
                        .withKind("PersistentVolumeClaim")
                        .withName(name)
                        .withUid(pvc.getMetadata().getUid())
                        .build())
                .build());
        request.setSpec(new SplitRequestSpec(name, mode, rate));
        try {
            client.resources(SplitRequest.class)
                    .inNamespace(ns)
                    .resource(request)
                    .create();
            LOG.info("pvc {}/{}: split annotation {}: split request {} created", ns, name, mode, requestName(name));
        } catch (KubernetesClientException e) {
            if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
                throw e;
            }
            LOG.info("pvc {}/{}: split request {} exists already", ns, name, requestName(name));
        }
    }

    /** The request this class created for {@code pvc}, if {@code candidate} is one. */
    static boolean ownedBy(SplitRequest candidate, PersistentVolumeClaim pvc) {
        return FROM_ANNOTATION.equals(
                        candidate.getMetadata().getLabels() == null
                                ? null
                                : candidate.getMetadata().getLabels().get(FROM_LABEL))
                && candidate.getMetadata().getOwnerReferences().stream()
                        .anyMatch(o -> o.getUid().equals(pvc.getMetadata().getUid()));
    }

    private static Map<String, String> annotations(PersistentVolumeClaim pvc) {
        Map<String, String> a = pvc.getMetadata().getAnnotations();
        return a == null ? Map.of() : a;
    }
}
