package dev.vdisk.kube.reconcile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.vdisk.kube.resource.VdiskVolume;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Events go where kubectl describe finds them, named as the kubelet names them, in the order recorded. */
@EnableKubernetesMockClient(crud = true)
class EventRecorderTest {

    private static final Instant NOW = Instant.parse("2026-12-07T10:15:30.123456789Z");

    KubernetesClient client;

    @Test
    void eventsOnANamespacedObjectGoToItsNamespaceNamedByTimeAndSortInRecordedOrder() {
        PersistentVolumeClaim pvc = new PersistentVolumeClaim();
        pvc.setMetadata(new ObjectMetaBuilder()
                .withNamespace("apps")
                .withName("data")
                .withUid("u-1")
                .build());
        // a stopped clock: three Events in one tick still get distinct names, in order
        EventRecorder recorder = new EventRecorder(
                client, EventSource.cluster("vdisk-csi-controller"), Clock.fixed(NOW, ZoneOffset.UTC));
        recorder.record(pvc, ObjectEvent.normal("SplitStarted", "copy split started"));
        recorder.record(pvc, ObjectEvent.normal("SplitProgress", "25% split"));
        recorder.record(pvc, ObjectEvent.warning("SplitFailed", "copy split failed: OUT_OF_SPACE"));

        List<Event> events = client.v1().events().inNamespace("apps").list().getItems().stream()
                .sorted(Comparator.comparing(e -> e.getMetadata().getName()))
                .toList();
        assertEquals(
                List.of("SplitStarted", "SplitProgress", "SplitFailed"),
                events.stream().map(Event::getReason).toList());
        long nanos = NOW.getEpochSecond() * 1_000_000_000L + NOW.getNano();
        assertEquals(
                "data." + Long.toHexString(nanos),
                events.getFirst().getMetadata().getName());
        Event failed = events.getLast();
        assertEquals("Warning", failed.getType());
        assertEquals("PersistentVolumeClaim", failed.getInvolvedObject().getKind());
        assertEquals("v1", failed.getInvolvedObject().getApiVersion());
        assertEquals("apps", failed.getInvolvedObject().getNamespace());
        assertEquals("u-1", failed.getInvolvedObject().getUid());
        assertEquals("vdisk-csi-controller", failed.getSource().getComponent());
        assertNull(failed.getSource().getHost());
        assertEquals("2026-12-07T10:15:30Z", failed.getFirstTimestamp());
    }

    @Test
    void eventsOnAClusterScopedObjectGoToDefaultWithTheirNode() {
        VdiskVolume v = new VdiskVolume();
        v.setMetadata(new ObjectMetaBuilder().withName("pvc-1").withUid("u-2").build());
        new EventRecorder(client, EventSource.onNode("vdisk-csi-node", "node-a"), Clock.systemUTC())
                .record(v, ObjectEvent.warning("DeleteFailed", "BUSY: staged"));

        Event e = client.v1()
                .events()
                .inNamespace(EventRecorder.CLUSTER_SCOPED_NAMESPACE)
                .list()
                .getItems()
                .getFirst();
        assertEquals("DeleteFailed", e.getReason());
        assertEquals("VdiskVolume", e.getInvolvedObject().getKind());
        assertEquals("vdisk.csi.dev/v1alpha1", e.getInvolvedObject().getApiVersion());
        assertNull(e.getInvolvedObject().getNamespace());
        assertEquals("node-a", e.getSource().getHost());
        assertEquals("node-a", e.getReportingInstance());
        assertEquals("vdisk-csi-node", e.getReportingComponent());
    }
}
