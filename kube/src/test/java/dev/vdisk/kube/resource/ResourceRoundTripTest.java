package dev.vdisk.kube.resource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The resource classes (records) survive a trip through the API server's JSON: what the agents rely on. */
@EnableKubernetesMockClient(crud = true)
class ResourceRoundTripTest {

    KubernetesClient client;

    @Test
    void volumeSpecAndStatusRoundTrip() {
        VdiskVolume v = new VdiskVolume();
        v.setMetadata(new ObjectMetaBuilder()
                .withName("pvc-1")
                .addToLabels(ResourceKeys.NODE_LABEL, "n1")
                .build());
        v.setSpec(new VdiskVolumeSpec(
                "n1",
                1 << 20,
                "snap-1",
                Map.of("fsType", "xfs"),
                new SplitSpec("copy", 1000, false, "SplitRequest ns/r")));
        client.resources(VdiskVolume.class).resource(v).create();

        VdiskVolume withStatus =
                client.resources(VdiskVolume.class).withName("pvc-1").get();
        withStatus.setStatus(new VdiskVolumeStatus(
                ResourcePhase.Ready,
                1L,
                1 << 20,
                4096,
                0,
                false,
                1,
                "snap-1",
                Map.of("fsType", "xfs"),
                null,
                new SplitProgress("copy", "FILLING", 40, 4, 10, 8192, 100, 6, "", "2026-11-22T07:00:00Z", ""),
                null,
                List.of(new ConditionBuilder()
                        .withType("Ready")
                        .withStatus("True")
                        .withReason("Created")
                        .build())));
        client.resources(VdiskVolume.class).resource(withStatus).updateStatus();

        VdiskVolume read = client.resources(VdiskVolume.class).withName("pvc-1").get();
        assertEquals(v.getSpec(), read.getSpec());
        assertEquals(ResourcePhase.Ready, read.getStatus().phase());
        assertEquals(40, read.getStatus().split().percent());
        assertEquals("Ready", read.getStatus().conditions().getFirst().getType());
        assertNull(read.getStatus().failure());
    }

    @Test
    void splitRequestIsNamespaced() {
        SplitRequest r = new SplitRequest();
        r.setMetadata(new ObjectMetaBuilder()
                .withName("split-db")
                .withNamespace("team-a")
                .build());
        r.setSpec(new SplitRequestSpec("db", "share", null));
        client.resources(SplitRequest.class).inNamespace("team-a").resource(r).create();

        assertEquals(
                1,
                client.resources(SplitRequest.class)
                        .inNamespace("team-a")
                        .list()
                        .getItems()
                        .size());
        assertEquals(
                0,
                client.resources(SplitRequest.class)
                        .inNamespace("team-b")
                        .list()
                        .getItems()
                        .size());
        assertEquals(
                "db",
                client.resources(SplitRequest.class)
                        .inNamespace("team-a")
                        .withName("split-db")
                        .get()
                        .getSpec()
                        .pvcName());
    }
}
