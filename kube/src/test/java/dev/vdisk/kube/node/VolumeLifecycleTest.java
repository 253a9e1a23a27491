package dev.vdisk.kube.node;

import static dev.vdisk.kube.node.NodeFixture.MIB;
import static dev.vdisk.kube.node.NodeFixture.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.kube.resource.ResourceKeys;
import dev.vdisk.kube.resource.ResourcePhase;
import dev.vdisk.kube.resource.VdiskVolume;
import dev.vdisk.kube.resource.VdiskVolumeSpec;
import dev.vdisk.node.testing.Privileged;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A VdiskVolume's life on a real pool: created, grown, attributes changed, deleted; status as documented. */
@ExtendWith(Privileged.class)
@EnableKubernetesMockClient(crud = true)
class VolumeLifecycleTest {

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dir;

    @Test
    void createGrowChangeAttributesAndDelete() throws Exception {
        try (NodeFixture node = new NodeFixture(server, client, dir)) {
            VdiskVolume other = new VdiskVolume();
            other.setMetadata(new ObjectMetaBuilder()
                    .withName("pvc-other")
                    .addToLabels(ResourceKeys.NODE_LABEL, "n2")
                    .build());
            other.setSpec(new VdiskVolumeSpec("n2", MIB, null, Map.of(), null));
            client.resources(VdiskVolume.class).resource(other).create();
            node.createVolume("pvc-1", 10 * MIB + 1, null, Map.of("fsType", "xfs"), null);
            await("pvc-1 Ready", () -> ready(node.volume("pvc-1"), 1), () -> node.volume("pvc-1")
                    .getStatus());
            VdiskVolume v = node.volume("pvc-1");
            assertTrue(v.getMetadata().getFinalizers().contains(ResourceKeys.NODE_AGENT_FINALIZER));
            assertEquals(10 * MIB + 4096, v.getStatus().sizeBytes(), "rounded up to 4 KiB");
            assertEquals(Map.of("fsType", "xfs"), v.getStatus().attributes());
            assertEquals(0, v.getStatus().chainDepth());
            assertNull(v.getStatus().backingSnapshotId());
            assertNull(v.getStatus().failure());
            assertFalse(v.getStatus().staged());
            assertEquals("True", v.getStatus().conditions().getFirst().getStatus());
            assertEquals(
                    10 * MIB + 4096, node.agent.getVolume("pvc-1").orElseThrow().sizeBytes());

            // a new spec: bigger, another attribute
            node.client.resources(VdiskVolume.class).withName("pvc-1").edit(x -> {
                x.setSpec(new VdiskVolumeSpec(
                        x.getSpec().nodeName(), 20 * MIB, null, Map.of("fsType", "xfs", "maxIops", "100"), null));
                return x;
            });
            await("pvc-1 generation 2 Ready", () -> ready(node.volume("pvc-1"), 2), () -> node.volume("pvc-1")
                    .getStatus());
            v = node.volume("pvc-1");
            assertEquals(20 * MIB, v.getStatus().sizeBytes());
            assertEquals("100", v.getStatus().attributes().get("maxIops"));
            assertEquals(20 * MIB, node.agent.getVolume("pvc-1").orElseThrow().sizeBytes());
            assertEquals(
                    "100",
                    node.agent.getVolume("pvc-1").orElseThrow().attributes().get("maxIops"));

            node.client.resources(VdiskVolume.class).withName("pvc-1").delete();
            await("pvc-1 gone", () -> node.volume("pvc-1") == null, () -> node.volume("pvc-1"));
            assertTrue(node.agent.getVolume("pvc-1").isEmpty(), "deleted from the pool before the finalizer went");

            VdiskVolume untouched = node.volume("pvc-other");
            assertNull(untouched.getStatus(), "another node's volume is not ours to reconcile");
            assertTrue(untouched.getMetadata().getFinalizers() == null
                    || untouched.getMetadata().getFinalizers().isEmpty());
            assertTrue(node.agent.getVolume("pvc-other").isEmpty());
        }
    }

    static boolean ready(VdiskVolume v, long generation) {
        return v != null
                && v.getStatus() != null
                && v.getStatus().phase() == ResourcePhase.Ready
                && v.getStatus().observedGeneration() != null
                && v.getStatus().observedGeneration() == generation;
    }
}
