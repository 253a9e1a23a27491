package dev.vdisk.kube.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.Snapshot;
import csi.v1.Volume;
import dev.vdisk.kube.controller.LeaderElection;
import dev.vdisk.kube.node.NodeClusterAgent;
import dev.vdisk.kube.resource.ResourceKeys;
import dev.vdisk.kube.resource.SplitRequest;
import dev.vdisk.kube.resource.SplitRequestPhase;
import dev.vdisk.kube.resource.VdiskVolume;
import dev.vdisk.kube.split.SplitRequestController;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Clone splits in cluster mode ({@link ClusterModeFixture}): asked for by the StorageClass, a SplitRequest or a PVC
 * annotation, cancelled by deleting the request, and carried on across a new leader and a node agent restart.
 */
class ClusterModeSplitTest extends ClusterModeFixture {

    @Test
    void splitOnCloneFromTheStorageClassAndCancelByDeletingTheRequest() throws Exception {
        Written w = writtenSourceAndSnapshot(9);
        Volume source = w.source();
        byte[] data = w.data();
        Snapshot snap = w.snap();

        // the StorageClass asks every clone to split: the controller's hook starts it through the resource
        Volume shared = call(
                        controller::createVolume,
                        cloneOf("pvc-shared", snap.getSnapshotId()).toBuilder()
                                .putParameters("splitOnClone", "share")
                                .build())
                .getVolume();
        // (the lineage empties at RELEASING already, a moment before the split is DONE)
        await(
                "the splitOnClone clone's split is done",
                () -> "DONE"
                        .equals(volume(shared.getVolumeId()).getStatus().split().phase()),
                () -> volume(shared.getVolumeId()).getStatus());
        assertEquals(0, volume(shared.getVolumeId()).getStatus().chainDepth());
        assertNull(volume(shared.getVolumeId()).getStatus().backingSnapshotId());
        assertEquals(0, agent.chainDepth(shared.getVolumeId()));

        // a throttled split, cancelled by deleting its request while it runs
        Volume slow = call(controller::createVolume, cloneOf("pvc-slow", snap.getSnapshotId()))
                .getVolume();
        boundPvc("slow", slow.getVolumeId());
        requestSplit("slow", "copy", MIB);
        await(
                "the throttled split runs",
                () -> splitRequest("slow-split").getStatus() != null
                        && splitRequest("slow-split").getStatus().phase() == SplitRequestPhase.Running
                        && splitRequest("slow-split").getStatus().bytesRelocated() > 0,
                () -> splitRequest("slow-split").getStatus());
        client.resources(SplitRequest.class)
                .inNamespace(NS)
                .withName("slow-split")
                .delete();
        await(
                "the request goes once the node stopped the split",
                () -> splitRequest("slow-split") == null,
                () -> splitRequest("slow-split"));
        VdiskVolume cancelled = volume(slow.getVolumeId());
        assertEquals(
                "CANCELLED",
                cancelled.getStatus().split().phase(),
                cancelled.getStatus().toString());
        assertNull(cancelled.getSpec().split(), "the split controller cleared its spec.split");
        assertEquals(1, cancelled.getStatus().chainDepth());
        assertEquals(snap.getSnapshotId(), cancelled.getStatus().backingSnapshotId());
        assertEquals(1, agent.chainDepth(slow.getVolumeId()));
        await("PVC event SplitCancelled", () -> pvcEvents("slow").contains("SplitCancelled"), () -> pvcEvents("slow"));
        assertArrayEquals(data, kubelet.read(slow.getVolumeId(), data.length), "a cancelled split loses nothing");
        assertArrayEquals(data, kubelet.read(shared.getVolumeId(), data.length), "nor does a shared split");

        deleteAll(snap, shared, slow, source);
        assertEquals(List.of(), client.resources(VdiskVolume.class).list().getItems());
        assertEquals(usedWhenEmpty, agent.capacity().usedBytes(), "the pool holds no data any more");
    }

    @Test
    void aStandbyControllerTakesOverARunningSplitAndFinishesIt() throws Exception {
        Written w = writtenSourceAndSnapshot(10);
        Volume source = w.source();
        byte[] data = w.data();
        Snapshot snap = w.snap();
        Volume clone = call(controller::createVolume, cloneOf("pvc-clone", snap.getSnapshotId()))
                .getVolume();
        boundPvc("db", clone.getVolumeId());

        try (KubernetesClient standbyClient = clientAs("vdisk-csi-controller");
                LeaderElection standby = new LeaderElection(
                                standbyClient,
                                "kube-system",
                                "vdisk-csi-controller",
                                "controller-1",
                                LeaderElection.Timing.DEFAULT,
                                List.of(() -> SplitRequestController.start(standbyClient, DRIVER)))
                        .start()) {
            requestSplit("db", "copy", 2 * MIB);
            awaitSplitRuns("db-split");
            assertFalse(standby.isLeader());
            long handOver = System.nanoTime();
            election.close(); // the leader goes (rolling update): it releases the lease
            assertTrue(
                    splitRequest("db-split").getStatus().phase() != SplitRequestPhase.Succeeded,
                    "the old leader left before the end");
            await("the standby leads", standby::isLeader, () -> "controller-1 does not lead");
            System.out.println("hand-over to the standby: " + (System.nanoTime() - handOver) / 1_000_000 + " ms");
            await(
                    "the request succeeds under the new leader",
                    () -> splitRequest("db-split").getStatus().phase() == SplitRequestPhase.Succeeded,
                    () -> splitRequest("db-split").getStatus());
            assertEquals(100, splitRequest("db-split").getStatus().percent());
            await(
                    "the clone's spec.split cleared",
                    () -> volume(clone.getVolumeId()).getSpec().split() == null,
                    () -> volume(clone.getVolumeId()).getSpec());
            List<String> events = pvcEvents("db");
            assertEquals(1, events.stream().filter("SplitStarted"::equals).count(), events.toString());
            assertEquals(1, events.stream().filter("SplitCompleted"::equals).count(), events.toString());
            assertTrue(events.stream().filter("SplitProgress"::equals).count() <= 3, "each milestone once: " + events);
            assertEquals(0, agent.chainDepth(clone.getVolumeId()));
            assertArrayEquals(data, kubelet.read(clone.getVolumeId(), data.length));
        }
        deleteAll(snap, clone, source);
    }

    @Test
    void theNodeAgentRestartsDuringASplitAndTheRequestStillSucceeds() throws Exception {
        Written w = writtenSourceAndSnapshot(11);
        Volume source = w.source();
        byte[] data = w.data();
        Snapshot snap = w.snap();
        Volume clone = call(controller::createVolume, cloneOf("pvc-clone", snap.getSnapshotId()))
                .getVolume();
        boundPvc("db", clone.getVolumeId());
        requestSplit("db", "copy", 2 * MIB);
        awaitSplitRuns("db-split");

        // the node's pod restarts (upgrade): the agent and its cluster side stop, then start on the same pool
        node.close();
        agent.close();
        assertTrue(splitRequest("db-split").getStatus().phase() != SplitRequestPhase.Succeeded, "stopped midway");
        agent = startAgent();
        node = NodeClusterAgent.start(nodeClient, nodeConfig, agent);

        await(
                "the request succeeds after the restart",
                () -> splitRequest("db-split").getStatus().phase() == SplitRequestPhase.Succeeded,
                () -> splitRequest("db-split").getStatus());
        assertEquals(100, splitRequest("db-split").getStatus().percent());
        assertEquals(0, agent.chainDepth(clone.getVolumeId()));
        await(
                "the clone's lineage is empty and spec.split cleared",
                () -> volume(clone.getVolumeId()).getSpec().split() == null
                        && volume(clone.getVolumeId()).getStatus().chainDepth() == 0,
                () -> volume(clone.getVolumeId()));
        assertArrayEquals(data, kubelet.read(clone.getVolumeId(), data.length));
        List<String> events = pvcEvents("db");
        assertEquals(1, events.stream().filter("SplitCompleted"::equals).count(), events.toString());
        deleteAll(snap, clone, source);
    }

    @Test
    void thePvcAnnotationSplitsTheCloneAndItsRemovalDeletesTheOwnedRequest() throws Exception {
        Written w = writtenSourceAndSnapshot(12);
        Volume source = w.source();
        byte[] data = w.data();
        Snapshot snap = w.snap();
        Volume clone = call(controller::createVolume, cloneOf("pvc-clone", snap.getSnapshotId()))
                .getVolume();
        boundPvc("db", clone.getVolumeId());

        client.persistentVolumeClaims().inNamespace(NS).withName("db").edit(pvc -> {
            pvc.getMetadata().getAnnotations().put(ResourceKeys.SPLIT_ANNOTATION, "share");
            return pvc;
        });
        await(
                "the owned request succeeds",
                () -> splitRequest("db-split") != null
                        && splitRequest("db-split").getStatus() != null
                        && splitRequest("db-split").getStatus().phase() == SplitRequestPhase.Succeeded,
                () -> splitRequest("db-split"));
        assertEquals(
                "PersistentVolumeClaim",
                splitRequest("db-split")
                        .getMetadata()
                        .getOwnerReferences()
                        .getFirst()
                        .getKind());
        assertEquals(0, agent.chainDepth(clone.getVolumeId()));
        assertArrayEquals(data, kubelet.read(clone.getVolumeId(), data.length));

        client.persistentVolumeClaims().inNamespace(NS).withName("db").edit(pvc -> {
            pvc.getMetadata().getAnnotations().remove(ResourceKeys.SPLIT_ANNOTATION);
            return pvc;
        });
        await(
                "the owned request goes with the annotation",
                () -> splitRequest("db-split") == null,
                () -> splitRequest("db-split"));
        assertEquals(0, agent.chainDepth(clone.getVolumeId()), "a finished split stays done");
        deleteAll(snap, clone, source);
    }
}
