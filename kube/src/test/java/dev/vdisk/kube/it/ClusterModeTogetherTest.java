package dev.vdisk.kube.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.BlockMetadata;
import csi.v1.ControllerGetVolumeRequest;
import csi.v1.DeleteSnapshotRequest;
import csi.v1.GetCapacityRequest;
import csi.v1.GetCapacityResponse;
import csi.v1.GetMetadataAllocatedRequest;
import csi.v1.GetMetadataAllocatedResponse;
import csi.v1.ListSnapshotsRequest;
import csi.v1.ListVolumesRequest;
import csi.v1.Snapshot;
import csi.v1.Volume;
import dev.vdisk.kube.resource.ResourceKeys;
import dev.vdisk.kube.resource.ResourcePhase;
import dev.vdisk.kube.resource.SplitRequestPhase;
import dev.vdisk.kube.resource.SplitRequestStatus;
import dev.vdisk.kube.resource.VdiskSnapshot;
import dev.vdisk.kube.resource.VdiskVolume;
import dev.vdisk.kube.resource.VdiskVolumeStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * A volume's whole life across the three sides of cluster mode ({@link ClusterModeFixture}): created, written,
 * snapshotted, cloned, split by a SplitRequest and by {@code kubectl vdisk split}, read through the metadata API, and
 * deleted until the pool is empty; every side made the requests it is declared for.
 */
class ClusterModeTogetherTest extends ClusterModeFixture {

    @Test
    void volumeSnapshotCloneSplitMetadataAndDeleteAcrossTheThreeSides() throws Exception {
        // 1. CreateVolume: a Ready VdiskVolume bound to n1, status from the pool
        Volume source = call(controller::createVolume, create("pvc-src")).getVolume();
        VdiskVolume src = volume(source.getVolumeId());
        assertEquals(NODE, src.getMetadata().getLabels().get(ResourceKeys.NODE_LABEL));
        assertTrue(
                src.getMetadata().getFinalizers().contains(ResourceKeys.NODE_AGENT_FINALIZER),
                src.getMetadata().toString());
        VdiskVolumeStatus srcStatus = src.getStatus();
        assertEquals(ResourcePhase.Ready, srcStatus.phase());
        assertEquals(src.getMetadata().getGeneration(), srcStatus.observedGeneration());
        assertEquals(16 * MIB, srcStatus.sizeBytes());
        assertEquals(0, srcStatus.chainDepth());
        assertNull(srcStatus.backingSnapshotId());
        assertFalse(srcStatus.staged());
        assertNull(srcStatus.failure());
        assertEquals(
                "pvc-src",
                srcStatus.attributes().get("name"),
                srcStatus.attributes().toString());
        assertEquals(
                "True",
                srcStatus.conditions().stream()
                        .filter(c -> c.getType().equals("Ready"))
                        .findFirst()
                        .orElseThrow()
                        .getStatus());
        assertEquals(
                16 * MIB, agent.getVolume(source.getVolumeId()).orElseThrow().sizeBytes());
        byte[] data = new byte[(int) (4 * MIB)];
        new Random(8).nextBytes(data);
        kubelet.write(source.getVolumeId(), data);

        // 2. CreateSnapshot, two clones of it, seen through the controller and the resources
        Snapshot snap = snapshot(source.getVolumeId());
        assertTrue(snap.getReadyToUse());
        VdiskSnapshot snapResource = client.resources(VdiskSnapshot.class)
                .withName(snap.getSnapshotId())
                .get();
        assertEquals(ResourcePhase.Ready, snapResource.getStatus().phase());
        assertEquals(16 * MIB, snapResource.getStatus().sizeBytes());
        Volume clone = call(controller::createVolume, cloneOf("pvc-clone", snap.getSnapshotId()))
                .getVolume();
        Volume dependent = call(controller::createVolume, cloneOf("pvc-dependent", snap.getSnapshotId()))
                .getVolume();
        Volume got = call(
                        controller::controllerGetVolume,
                        ControllerGetVolumeRequest.newBuilder()
                                .setVolumeId(clone.getVolumeId())
                                .build())
                .getVolume();
        assertEquals(snap.getSnapshotId(), got.getContentSource().getSnapshot().getSnapshotId());
        assertEquals(16 * MIB, got.getCapacityBytes());
        assertEquals(
                NODE,
                got.getAccessibleTopology(0)
                        .getSegmentsMap()
                        .values()
                        .iterator()
                        .next());
        VdiskVolumeStatus cloneStatus = volume(clone.getVolumeId()).getStatus();
        assertEquals(1, cloneStatus.chainDepth());
        assertEquals(snap.getSnapshotId(), cloneStatus.backingSnapshotId());
        await(
                "the snapshot lists its two clones",
                () -> snapshotDependents(snap.getSnapshotId()).size() == 2,
                () -> snapshotDependents(snap.getSnapshotId()));
        assertEquals(
                Set.of(source.getVolumeId(), clone.getVolumeId(), dependent.getVolumeId()),
                new TreeSet<>(
                        call(controller::listVolumes, ListVolumesRequest.getDefaultInstance()).getEntriesList().stream()
                                .map(e -> e.getVolume().getVolumeId())
                                .toList()));
        assertEquals(
                List.of(snap.getSnapshotId()),
                call(controller::listSnapshots, ListSnapshotsRequest.getDefaultInstance()).getEntriesList().stream()
                        .map(e -> e.getSnapshot().getSnapshotId())
                        .toList());
        GetCapacityResponse capacity = call(
                controller::getCapacity,
                GetCapacityRequest.newBuilder().addVolumeCapabilities(MOUNT).build());
        long total = vdiskNode().getStatus().capacity().totalBytes();
        assertTrue(total > 0, vdiskNode().getStatus().toString());
        assertEquals("127.0.0.1:" + port, vdiskNode().getStatus().agentAddress());
        assertEquals(total - 3 * 16 * MIB, capacity.getAvailableCapacity(), "pool total less 3 volumes of 16 MiB");
        assertEquals(
                capacity.getAvailableCapacity(),
                capacity.getMaximumVolumeSize().getValue(),
                "the largest volume fits in what is left");

        // 5 (while the snapshot exists). GetMetadataAllocated through the node's authenticated internal API
        List<GetMetadataAllocatedResponse> allocated = new ArrayList<>();
        metadata.getMetadataAllocated(
                GetMetadataAllocatedRequest.newBuilder()
                        .setSnapshotId(snap.getSnapshotId())
                        .build(),
                collect(allocated));
        assertEquals(16 * MIB, allocated.getFirst().getVolumeCapacityBytes());
        long covered = allocated.stream()
                .flatMap(r -> r.getBlockMetadataList().stream())
                .mapToLong(BlockMetadata::getSizeBytes)
                .sum();
        assertEquals(data.length, covered, "the written 4 MiB are allocated in the snapshot: " + allocated);
        assertTrue(reviews.get() >= 1, "the node asked TokenReview");

        // 3. A SplitRequest for the PVC bound to the clone
        boundPvc("db", clone.getVolumeId());
        requestSplit("db", "copy", null);
        await(
                "the split request succeeds",
                () -> splitRequest("db-split").getStatus() != null
                        && splitRequest("db-split").getStatus().phase() == SplitRequestPhase.Succeeded,
                () -> splitRequest("db-split").getStatus());
        SplitRequestStatus done = splitRequest("db-split").getStatus();
        assertEquals(100, done.percent());
        assertEquals(clone.getVolumeId(), done.volumeId());
        assertNotNull(done.startTime());
        assertNotNull(done.completionTime());
        await(
                "the clone's lineage is empty",
                () -> volume(clone.getVolumeId()).getStatus().chainDepth() == 0
                        && volume(clone.getVolumeId()).getStatus().backingSnapshotId() == null
                        && volume(clone.getVolumeId()).getSpec().split() == null,
                () -> volume(clone.getVolumeId()));
        assertEquals(0, agent.chainDepth(clone.getVolumeId()));
        await(
                "PVC events SplitStarted and SplitCompleted",
                () -> pvcEvents("db").containsAll(List.of("SplitStarted", "SplitCompleted")),
                () -> pvcEvents("db"));
        assertEquals("DONE", volume(clone.getVolumeId()).getStatus().split().phase());

        Plugin status = plugin("status", "db", "-n", NS);
        assertEquals(0, status.exit(), status.toString());
        assertTrue(status.out().contains("Volume:    " + clone.getVolumeId() + " (PV pv-db)"), status.out());
        assertTrue(status.out().contains("Node:      n1\nPhase:     Ready\nSize:      16.0 MiB\n"), status.out());
        assertTrue(status.out().contains("Backing:   none (independent: reads through no snapshot)"), status.out());
        assertTrue(status.out().contains("Split:     copy DONE 100%"), status.out());
        Plugin tree = plugin("tree", "db", "-n", NS);
        assertEquals(0, tree.exit(), tree.toString());
        assertTrue(
                tree.out().startsWith("PVC team-a/db (volume " + clone.getVolumeId() + ") reads through no snapshot\n"),
                tree.out());

        // 4. DeleteSnapshot with a dependent clone, then the volumes: the pool ends empty
        call(
                controller::deleteSnapshot,
                DeleteSnapshotRequest.newBuilder()
                        .setSnapshotId(snap.getSnapshotId())
                        .build());
        assertNull(client.resources(VdiskSnapshot.class)
                .withName(snap.getSnapshotId())
                .get());
        assertTrue(agent.getSnapshot(snap.getSnapshotId()).isEmpty(), "hidden in the pool");
        assertEquals(1, agent.chainDepth(dependent.getVolumeId()), "the dependent still reads through it");
        boundPvc("web", dependent.getVolumeId());
        Plugin hidden = plugin("tree", "web", "-n", NS);
        assertTrue(
                hidden.out()
                        .startsWith("PVC team-a/web (volume " + dependent.getVolumeId() + ") reads through snapshot "
                                + snap.getSnapshotId() + " (hidden)\n"),
                hidden.out());
        deleteVolume(source.getVolumeId());
        assertArrayEquals(
                data,
                kubelet.read(dependent.getVolumeId(), data.length),
                "the dependent reads the data through the hidden snapshot");

        // 3b. kubectl vdisk split --wait of the clone of the hidden snapshot, throttled so that progress shows
        long splitStart = System.nanoTime();
        Plugin split = plugin("split", "web", "--mode", "copy", "--rate", "2MiB/s", "--wait", "-n", NS);
        long splitMillis = (System.nanoTime() - splitStart) / 1_000_000;
        assertEquals(0, split.exit(), split.toString());
        assertTrue(
                split.out()
                        .contains("split of volume " + dependent.getVolumeId() + " succeeded: 4.0 MiB" + " relocated"),
                split.out());
        assertTrue(splitMillis >= 1000, "4 MiB at 2 MiB/s took " + splitMillis + " ms");
        System.out.println("throttled split through the plugin: " + splitMillis + " ms; PVC events " + pvcEvents("web")
                + "; plugin output:\n" + split.out());
        await(
                "PVC events of the throttled split",
                () -> pvcEvents("web").containsAll(List.of("SplitStarted", "SplitProgress", "SplitCompleted")),
                () -> pvcEvents("web"));
        await(
                "the dependent's lineage is empty",
                () -> volume(dependent.getVolumeId()).getStatus().backingSnapshotId() == null
                        && volume(dependent.getVolumeId()).getStatus().chainDepth() == 0,
                () -> volume(dependent.getVolumeId()).getStatus());
        assertEquals(0, agent.chainDepth(dependent.getVolumeId()));
        assertArrayEquals(data, kubelet.read(clone.getVolumeId(), data.length), "the split clone kept the data");
        assertArrayEquals(
                data,
                kubelet.read(dependent.getVolumeId(), data.length),
                "the split of the hidden snapshot's clone kept the data");
        for (Volume v : List.of(clone, dependent)) {
            deleteVolume(v.getVolumeId());
        }
        assertEquals(List.of(), client.resources(VdiskVolume.class).list().getItems());
        assertEquals(List.of(), client.resources(VdiskSnapshot.class).list().getItems());
        assertEquals(List.of(), agent.listVolumes());
        assertEquals(List.of(), agent.listSnapshots());
        assertEquals(usedWhenEmpty, agent.capacity().usedBytes(), "the pool holds no data any more");
        System.out.println("cluster mode, three sides together: " + (System.nanoTime() - t0) / 1_000_000
                + " ms from start to an empty pool");
        accesses.assertExercised();
    }

    private List<String> snapshotDependents(String id) {
        VdiskSnapshot s = client.resources(VdiskSnapshot.class).withName(id).get();
        return s == null || s.getStatus() == null || s.getStatus().dependents() == null
                ? List.of()
                : s.getStatus().dependents();
    }
}
