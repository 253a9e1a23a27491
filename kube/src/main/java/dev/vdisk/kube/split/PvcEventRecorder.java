package dev.vdisk.kube.split;

import dev.vdisk.kube.resource.ObjectNames;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Records core/v1 Events on a PVC, where {@code kubectl describe pvc} shows them. Best effort: never fails a split. */
final class PvcEventRecorder {

    static final String COMPONENT = "vdisk-csi-controller";

    private static final Logger LOG = LoggerFactory.getLogger(PvcEventRecorder.class);

    private final KubernetesClient client;
    private final Clock clock;
    private final AtomicLong sequence = new AtomicLong();

    PvcEventRecorder(KubernetesClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    void record(PersistentVolumeClaim pvc, PvcEvent event) {
        String ns = pvc.getMetadata().getNamespace();
        String pvcName = pvc.getMetadata().getName();
        Instant now = clock.instant();
        // unique like the kubelet's: object name + a hex time stamp (+ a counter: several events can share a tick)
        String name = ObjectNames.withSuffix(pvcName,
                "." + Long.toHexString(now.toEpochMilli() * 1000 + sequence.incrementAndGet() % 1000));
        try {
            client.v1().events().inNamespace(ns).resource(new EventBuilder()
                    .withNewMetadata().withName(name).withNamespace(ns).endMetadata()
                    .withInvolvedObject(new ObjectReferenceBuilder().withApiVersion("v1")
                            .withKind("PersistentVolumeClaim").withNamespace(ns).withName(pvcName)
                            .withUid(pvc.getMetadata().getUid()).build())
                    .withType(event.warning() ? "Warning" : "Normal")
                    .withReason(event.reason())
                    .withMessage(event.message())
                    .withFirstTimestamp(now.toString()).withLastTimestamp(now.toString()).withCount(1)
                    .withNewSource().withComponent(COMPONENT).endSource()
                    .build()).create();
            LOG.info("event {} on pvc {}/{}: {}", event.reason(), ns, pvcName, event.message());
        } catch (KubernetesClientException e) {
            LOG.warn("could not record event {} on pvc {}/{}: {}", event.reason(), ns, pvcName, e.getMessage());
        }
    }
}
