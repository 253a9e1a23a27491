package dev.vdisk.kube.split;

import static dev.vdisk.kube.split.SplitFixture.NS;
import static dev.vdisk.kube.split.SplitFixture.await;
import static dev.vdisk.kube.split.SplitFixture.progress;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.vdisk.kube.resource.ResourceKeys;
import dev.vdisk.kube.resource.SplitRequest;
import dev.vdisk.kube.resource.SplitRequestPhase;
import dev.vdisk.kube.resource.SplitSpec;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code vdisk.csi.dev/split=share|copy} on a PVC creates an owned request; removing it cancels the split. */
@EnableKubernetesMockClient(crud = true)
class AnnotationTriggeredSplitTest {

    KubernetesMockServer server;
    KubernetesClient client;
    SplitFixture fx;

    @BeforeEach
    void setUp() {
        fx = new SplitFixture(server, client);
        fx.volume("vol-db", "snap-1");
        fx.boundPvc("db", "vol-db", SplitFixture.DRIVER);
        fx.startController();
    }

    @AfterEach
    void tearDown() {
        fx.close();
    }

    @Test
    void annotationSplitsAndItsRemovalCancels() {
        annotate("db", ResourceKeys.SPLIT_ANNOTATION, "copy");
        annotate("db", SplitAnnotations.RATE_ANNOTATION, "100MiB/s");
        await("owned request created", () -> fx.request("db-split") != null, () -> fx.request("db-split"));
        SplitRequest owned = fx.request("db-split");
        assertEquals("copy", owned.getSpec().mode());
        assertEquals("db", owned.getSpec().pvcName());
        OwnerReference ref = owned.getMetadata().getOwnerReferences().getFirst();
        assertEquals("PersistentVolumeClaim", ref.getKind());
        assertEquals(
                fx.call(() -> client.persistentVolumeClaims()
                                .inNamespace(NS)
                                .withName("db")
                                .get())
                        .getMetadata()
                        .getUid(),
                ref.getUid());
        await(
                "spec.split set",
                () -> fx.vdiskVolume("vol-db").getSpec().split() != null,
                () -> fx.vdiskVolume("vol-db"));
        SplitSpec split = fx.vdiskVolume("vol-db").getSpec().split();
        assertEquals("copy", split.mode());
        assertEquals("SplitRequest team-a/db-split", split.requestedBy());

        fx.report("vol-db", progress("copy", "FILLING", 55, 5L << 20));
        await(
                "running at 55%",
                () -> fx.request("db-split").getStatus() != null
                        && fx.request("db-split").getStatus().percent() == 55,
                () -> fx.request("db-split"));
        assertEquals(
                SplitRequestPhase.Running, fx.request("db-split").getStatus().phase());

        fx.run(() -> client.persistentVolumeClaims()
                .inNamespace(NS)
                .withName("db")
                .edit(p -> {
                    p.getMetadata().getAnnotations().remove(ResourceKeys.SPLIT_ANNOTATION);
                    return p;
                }));
        await("cancel asked", () -> fx.vdiskVolume("vol-db").getSpec().split().cancel(), () -> fx.vdiskVolume("vol-db")
                .getSpec());
        fx.report("vol-db", progress("copy", "CANCELLED", 56, 5L << 20));
        await("owned request gone", () -> fx.request("db-split") == null, () -> fx.request("db-split"));
        assertNull(fx.vdiskVolume("vol-db").getSpec().split());
        assertEquals(
                List.of("SplitStarted", "SplitProgress", "SplitProgress", "SplitCancelled"), fx.eventReasons("db"));
    }

    @Test
    void badAnnotationIsAWarningOnce() {
        annotate("db", ResourceKeys.SPLIT_ANNOTATION, "deep");
        await("warning", () -> !fx.events("db").isEmpty(), () -> fx.events("db"));
        annotate("db", "unrelated", "change"); // another update of the PVC: no second warning
        fx.run(() -> ResourceTriggeredSplitTest.sleep(300));
        assertEquals(1, fx.events("db").size(), fx.events("db").toString());
        assertEquals("Warning", fx.events("db").getFirst().getType());
        assertEquals(
                "bad split annotation: 'deep' is not a split mode; use share or copy",
                fx.events("db").getFirst().getMessage());
        assertNull(fx.request("db-split"));
        assertNull(fx.vdiskVolume("vol-db").getSpec().split());
    }

    private void annotate(String pvc, String key, String value) {
        fx.run(() -> client.persistentVolumeClaims()
                .inNamespace(NS)
                .withName(pvc)
                .edit(p -> {
                    Map<String, String> a = new HashMap<>(
                            p.getMetadata().getAnnotations() == null
                                    ? Map.of()
                                    : p.getMetadata().getAnnotations());
                    a.put(key, value);
                    p.getMetadata().setAnnotations(a);
                    return p;
                }));
    }
}
