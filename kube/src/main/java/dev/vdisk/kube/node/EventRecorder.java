package dev.vdisk.kube.node;

import dev.vdisk.kube.resource.ObjectNames;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records Kubernetes Events (core/v1) on the node agent's resources, for {@code kubectl describe}. The resources are
 * cluster-scoped, so their events go to namespace {@value #NAMESPACE}, as the API server does for nodes. An event
 * that cannot be written is logged and dropped: events are for people, never a reason to fail the work.
 */
final class EventRecorder {
    private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);
    static final String NAMESPACE = "default";
    static final String COMPONENT = "vdisk-csi-node";

    enum Type { Normal, Warning }

    private final KubernetesClient client;
    private final String nodeId;
    private final Clock clock;

    EventRecorder(KubernetesClient client, String nodeId, Clock clock) {
        this.client = client;
        this.nodeId = nodeId;
        this.clock = clock;
    }

    void record(HasMetadata on, Type type, String reason, String message) {
        String now = Timestamps.format(clock.instant());
        var event = new EventBuilder()
                .withNewMetadata().withNamespace(NAMESPACE)
                .withName(ObjectNames.withSuffix(on.getMetadata().getName(), "."
                        + Long.toHexString(ThreadLocalRandom.current().nextLong()).toLowerCase(Locale.ROOT))).endMetadata()
                .withInvolvedObject(new ObjectReferenceBuilder().withApiVersion(on.getApiVersion())
                        .withKind(on.getKind()).withName(on.getMetadata().getName())
                        .withUid(on.getMetadata().getUid()).build())
                .withType(type.name()).withReason(reason).withMessage(message)
                .withNewSource().withComponent(COMPONENT).withHost(nodeId).endSource()
                .withReportingComponent(COMPONENT).withReportingInstance(nodeId)
                .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                .build();
        try {
            client.v1().events().inNamespace(NAMESPACE).resource(event).create();
        } catch (KubernetesClientException e) {
            LOG.warn("event {} on {} {} not recorded: {}", reason, on.getKind(), on.getMetadata().getName(),
                    e.getMessage());
        }
    }
}
