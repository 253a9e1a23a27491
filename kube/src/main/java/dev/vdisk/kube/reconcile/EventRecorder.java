package dev.vdisk.kube.reconcile;

import dev.vdisk.kube.resource.ObjectNames;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records core/v1 Events on objects, where {@code kubectl describe} shows them. An Event goes to its object's
 * namespace, or to {@value #CLUSTER_SCOPED_NAMESPACE} for a cluster-scoped object (as the API server does for
 * nodes). Best effort: an Event that cannot be written is logged and dropped, never a reason to fail the work.
 *
 * <p>Names as the kubelet and client-go name Events: the object's name, '.', the time in nanoseconds in hex. The
 * time is made unique per recorder (one nanosecond past the previous when two share a tick), so names sort in the
 * order the Events were recorded. Thread-safe.
 */
public final class EventRecorder {

    public static final String CLUSTER_SCOPED_NAMESPACE = "default";

    private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);

    private final KubernetesClient client;
    private final EventSource source;
    private final Clock clock;
    /** The last name's time, in nanoseconds since the epoch. */
    private final AtomicLong lastNanos = new AtomicLong();

    public EventRecorder(KubernetesClient client, EventSource source, Clock clock) {
        this.client = client;
        this.source = source;
        this.clock = clock;
    }

    public void record(HasMetadata on, ObjectEvent event) {
        String namespace = on.getMetadata().getNamespace();
        String eventNamespace = namespace == null ? CLUSTER_SCOPED_NAMESPACE : namespace;
        String objectName = on.getMetadata().getName();
        try {
            client.v1()
                    .events()
                    .inNamespace(eventNamespace)
                    .resource(build(on, eventNamespace, event))
                    .create();
            LOG.debug("event {} on {} {}: {}", event.reason(), on.getKind(), objectName, event.message());
        } catch (KubernetesClientException e) {
            LOG.warn(
                    "event {} on {} {} not recorded: {}",
                    event.reason(),
                    on.getKind(),
                    namespace == null ? objectName : namespace + "/" + objectName,
                    e.getMessage());
        }
    }

    /** The Event as it is written (tests read names and fields from it). */
    Event build(HasMetadata on, String eventNamespace, ObjectEvent event) {
        Instant now = clock.instant();
        String objectName = on.getMetadata().getName();
        String time = Timestamps.format(now);
        EventBuilder b = new EventBuilder()
                .withNewMetadata()
                .withNamespace(eventNamespace)
                .withName(ObjectNames.withSuffix(objectName, "." + Long.toHexString(uniqueNanos(now))))
                .endMetadata()
                .withInvolvedObject(new ObjectReferenceBuilder()
                        .withApiVersion(
                                on.getApiVersion() != null
                                        ? on.getApiVersion()
                                        : HasMetadata.getApiVersion(on.getClass()))
                        .withKind(on.getKind() != null ? on.getKind() : HasMetadata.getKind(on.getClass()))
                        .withNamespace(on.getMetadata().getNamespace())
                        .withName(objectName)
                        .withUid(on.getMetadata().getUid())
                        .build())
                .withType(event.type().name())
                .withReason(event.reason())
                .withMessage(event.message())
                .withFirstTimestamp(time)
                .withLastTimestamp(time)
                .withCount(1);
        if (source.host() == null) {
            b.withNewSource().withComponent(source.component()).endSource();
        } else {
            b.withNewSource()
                    .withComponent(source.component())
                    .withHost(source.host())
                    .endSource()
                    .withReportingComponent(source.component())
                    .withReportingInstance(source.host());
        }
        return b.build();
    }

    private long uniqueNanos(Instant now) {
        long nanos = now.getEpochSecond() * 1_000_000_000L + now.getNano();
        return lastNanos.updateAndGet(last -> Math.max(last + 1, nanos));
    }
}
