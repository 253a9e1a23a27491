package dev.vdisk.kube.node;

import static dev.vdisk.kube.node.NodeFixture.MIB;
import static dev.vdisk.kube.node.NodeFixture.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vdisk.kube.resource.ResourcePhase;
import dev.vdisk.kube.resource.VdiskGroupSnapshot;
import dev.vdisk.kube.resource.VdiskSnapshot;
import dev.vdisk.kube.resource.VdiskVolume;
import dev.vdisk.node.testing.Privileged;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Snapshots, clones and group snapshots through resources, on a real pool; lineage in the status. */
@ExtendWith(Privileged.class)
@EnableKubernetesMockClient(crud = true)
class SnapshotsAndClonesTest {

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dir;

    @Test
    void snapshotCloneLineageAndDeleteWithDependents() throws Exception {
        try (NodeFixture node = new NodeFixture(server, client, dir)) {
            node.createVolume("pvc-src", 8 * MIB, null, Map.of(), null);
            // created at once: the snapshot waits for its volume instead of failing NOT_FOUND
            node.createSnapshot("snap-1", "pvc-src");
            await("snap-1 Ready", () -> ready(node.snapshot("snap-1")), () -> node.snapshot("snap-1")
                    .getStatus());
            VdiskSnapshot snap = node.snapshot("snap-1");
            assertEquals(8 * MIB, snap.getStatus().sizeBytes());
            assertTrue(snap.getStatus().readyToUse());
            assertNotNull(snap.getStatus().creationTime());
            assertEquals(Long.valueOf(1), snap.getStatus().observedGeneration());
            assertTrue(node.agent.getSnapshot("snap-1").isPresent());

            node.createVolume("pvc-clone", 16 * MIB, "snap-1", Map.of("fsType", "ext4"), null);
            await("pvc-clone Ready", () -> VolumeLifecycleTest.ready(node.volume("pvc-clone"), 1), () -> node.volume(
                            "pvc-clone")
                    .getStatus());
            VdiskVolume clone = node.volume("pvc-clone");
            assertEquals("snap-1", clone.getStatus().backingSnapshotId());
            assertEquals(1, clone.getStatus().chainDepth());
            assertEquals(16 * MIB, clone.getStatus().sizeBytes(), "grown past the snapshot's size");
            await(
                    "snap-1 lists its clone",
                    () -> List.of("pvc-clone")
                            .equals(node.snapshot("snap-1").getStatus().dependents()),
                    () -> node.snapshot("snap-1").getStatus());

            // the user deletes the snapshot: it goes at once, the clone keeps reading through its hidden data
            client.resources(VdiskSnapshot.class).withName("snap-1").delete();
            await("snap-1 gone", () -> node.snapshot("snap-1") == null, () -> node.snapshot("snap-1"));
            assertTrue(node.agent.getSnapshot("snap-1").isEmpty());
            assertTrue(node.agent.lineage("pvc-clone").orElseThrow().backingDeleted());
            assertEquals(
                    ResourcePhase.Ready, node.volume("pvc-clone").getStatus().phase());
        }
    }

    @Test
    void groupSnapshotTakesItsMembersAtOneInstant() throws Exception {
        try (NodeFixture node = new NodeFixture(server, client, dir)) {
            node.createVolume("pvc-a", 4 * MIB, null, Map.of(), null);
            node.createVolume("pvc-b", 4 * MIB, null, Map.of(), null);
            await(
                    "volumes Ready",
                    () -> VolumeLifecycleTest.ready(node.volume("pvc-a"), 1)
                            && VolumeLifecycleTest.ready(node.volume("pvc-b"), 1),
                    () -> node.volume("pvc-b").getStatus());
            // the group first, then its members (the order the controller keeps): they wait for the group
            node.createGroup("group-1", Map.of("pvc-a", "gs-a", "pvc-b", "gs-b"));
            node.createSnapshot("gs-a", "pvc-a");
            node.createSnapshot("gs-b", "pvc-b");
            await(
                    "group Ready",
                    () -> node.group("group-1") != null
                            && node.group("group-1").getStatus() != null
                            && node.group("group-1").getStatus().phase() == ResourcePhase.Ready,
                    () -> node.group("group-1").getStatus());
            await(
                    "members Ready",
                    () -> ready(node.snapshot("gs-a")) && ready(node.snapshot("gs-b")),
                    () -> node.snapshot("gs-a").getStatus());
            assertEquals("group-1", node.snapshot("gs-a").getStatus().groupId());
            assertEquals("group-1", node.agent.getSnapshot("gs-b").orElseThrow().groupId());
            assertEquals(
                    node.agent.getSnapshot("gs-a").orElseThrow().createdMillis(),
                    node.agent.getSnapshot("gs-b").orElseThrow().createdMillis(),
                    "one instant");

            node.client.resources(VdiskGroupSnapshot.class).withName("group-1").delete();
            await("group gone", () -> node.group("group-1") == null, () -> node.group("group-1"));
            assertTrue(node.agent.getSnapshot("gs-a").isEmpty(), "members deleted with the group");
        }
    }

    @Test
    void aRefusedGroupFailsItsMembers() throws Exception {
        try (NodeFixture node = new NodeFixture(server, client, dir)) {
            node.createVolume("pvc-a", 4 * MIB, null, Map.of(), null);
            await("pvc-a Ready", () -> VolumeLifecycleTest.ready(node.volume("pvc-a"), 1), () -> node.volume("pvc-a")
                    .getStatus());
            node.createGroup("group-2", Map.of("pvc-a", "gs-a", "pvc-missing", "gs-m"));
            node.createSnapshot("gs-a", "pvc-a");
            await(
                    "group Failed",
                    () -> node.group("group-2").getStatus() != null
                            && node.group("group-2").getStatus().phase() == ResourcePhase.Failed,
                    () -> node.group("group-2").getStatus());
            assertEquals(
                    "NOT_FOUND", node.group("group-2").getStatus().failure().reason());
            await(
                    "the member Failed too",
                    () -> node.snapshot("gs-a").getStatus() != null
                            && node.snapshot("gs-a").getStatus().phase() == ResourcePhase.Failed,
                    () -> node.snapshot("gs-a").getStatus());
            assertEquals(
                    "NOT_FOUND", node.snapshot("gs-a").getStatus().failure().reason());
            assertTrue(node.agent.getSnapshot("gs-a").isEmpty(), "not taken alone");
        }
    }

    static boolean ready(VdiskSnapshot s) {
        return s != null && s.getStatus() != null && s.getStatus().phase() == ResourcePhase.Ready;
    }
}
