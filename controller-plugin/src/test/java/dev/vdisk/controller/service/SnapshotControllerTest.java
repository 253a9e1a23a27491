package dev.vdisk.controller.service;

import static dev.vdisk.controller.service.ValueClassesTest.mount;
import static dev.vdisk.controller.service.ValueClassesTest.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CapacityRange;
import csi.v1.ControllerGetVolumeRequest;
import csi.v1.CreateSnapshotRequest;
import csi.v1.CreateVolumeRequest;
import csi.v1.DeleteSnapshotRequest;
import csi.v1.DeleteVolumeRequest;
import csi.v1.GetSnapshotRequest;
import csi.v1.ListSnapshotsRequest;
import csi.v1.ListSnapshotsResponse;
import csi.v1.Snapshot;
import csi.v1.TopologyRequirement;
import csi.v1.Volume;
import csi.v1.VolumeCapability.AccessMode.Mode;
import csi.v1.VolumeContentSource;
import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Snapshot RPCs and CreateVolume from a content source, against in-memory agents. */
class SnapshotControllerTest {
    private static final long MIB = 1 << 20;
    private static final long GIB = 1L << 30;

    private final Agents agents = Agents.of("n1", GIB, "n2", GIB);
    private final List<String> splits = new ArrayList<>();
    private final VolumeController volumes =
            new VolumeController(agents, (node, volume, mode) -> splits.add(node + "/" + volume + "/" + mode));
    private final SnapshotController snapshots = new SnapshotController(agents);

    private Volume volume(String name, long size, String node) {
        return volumes.createVolume(CreateVolumeRequest.newBuilder()
                        .setName(name)
                        .addVolumeCapabilities(mount("ext4", Mode.SINGLE_NODE_WRITER))
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(size))
                        .setAccessibilityRequirements(
                                TopologyRequirement.newBuilder().addRequisite(node(node)))
                        .build())
                .getVolume();
    }

    private Snapshot snapshot(String name, String source) {
        return snapshots
                .createSnapshot(CreateSnapshotRequest.newBuilder()
                        .setName(name)
                        .setSourceVolumeId(source)
                        .build())
                .getSnapshot();
    }

    private static CreateVolumeRequest.Builder clone(String name, VolumeContentSource source) {
        return CreateVolumeRequest.newBuilder()
                .setName(name)
                .addVolumeCapabilities(mount("ext4", Mode.SINGLE_NODE_WRITER))
                .setVolumeContentSource(source);
    }

    private static VolumeContentSource fromSnapshot(String id) {
        return VolumeContentSource.newBuilder()
                .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder().setSnapshotId(id))
                .build();
    }

    private static VolumeContentSource fromVolume(String id) {
        return VolumeContentSource.newBuilder()
                .setVolume(VolumeContentSource.VolumeSource.newBuilder().setVolumeId(id))
                .build();
    }

    private static AgentReason reason(Runnable call) {
        return assertThrows(AgentException.class, call::run).reason();
    }

    @Test
    void createSnapshotIsIdempotentByNameAndTyped() {
        volume("pvc-a", 10 * MIB, "n1");
        volume("pvc-b", 10 * MIB, "n2");
        Snapshot s = snapshot("snapshot-1", "pvc-a");
        assertEquals("snapshot-1", s.getSnapshotId());
        assertEquals(10 * MIB, s.getSizeBytes());
        assertTrue(s.getReadyToUse());
        assertTrue(s.hasCreationTime());
        assertEquals(s, snapshot("snapshot-1", "pvc-a"));
        assertEquals(AgentReason.ALREADY_EXISTS, reason(() -> snapshot("snapshot-1", "pvc-b")));
        assertEquals(AgentReason.NOT_FOUND, reason(() -> snapshot("snapshot-2", "nope")));
        assertTrue(snapshot("Snapshot Two", "pvc-b").getSnapshotId().startsWith("snapshot-two--"));
        assertThrows(IllegalArgumentException.class, () -> snapshot("", "pvc-a"));
        assertThrows(IllegalArgumentException.class, () -> snapshot("x", ""));
        assertEquals(
                AgentReason.NOT_FOUND,
                reason(() -> snapshots.getSnapshot(
                        GetSnapshotRequest.newBuilder().setSnapshotId("nope").build())));
        assertEquals(
                s,
                snapshots
                        .getSnapshot(GetSnapshotRequest.newBuilder()
                                .setSnapshotId("snapshot-1")
                                .build())
                        .getSnapshot());
        snapshots.deleteSnapshot(
                DeleteSnapshotRequest.newBuilder().setSnapshotId("snapshot-1").build());
        snapshots.deleteSnapshot(
                DeleteSnapshotRequest.newBuilder().setSnapshotId("snapshot-1").build());
        assertEquals(
                AgentReason.NOT_FOUND,
                reason(() -> snapshots.getSnapshot(GetSnapshotRequest.newBuilder()
                        .setSnapshotId("snapshot-1")
                        .build())));
    }

    @Test
    void listSnapshotsFiltersAndPages() {
        volume("pvc-a", MIB, "n1");
        volume("pvc-b", MIB, "n2");
        for (int i = 0; i < 5; i++) {
            snapshot("snap-" + i, i % 2 == 0 ? "pvc-a" : "pvc-b");
        }
        List<String> seen = new ArrayList<>();
        String token = "";
        int pages = 0;
        do {
            ListSnapshotsResponse r = snapshots.listSnapshots(ListSnapshotsRequest.newBuilder()
                    .setMaxEntries(2)
                    .setStartingToken(token)
                    .build());
            r.getEntriesList().forEach(e -> seen.add(e.getSnapshot().getSnapshotId()));
            token = r.getNextToken();
            pages++;
        } while (!token.isEmpty());
        assertEquals(List.of("snap-0", "snap-1", "snap-2", "snap-3", "snap-4"), seen);
        assertEquals(3, pages);
        assertEquals(
                List.of("snap-1", "snap-3"),
                ids(ListSnapshotsRequest.newBuilder().setSourceVolumeId("pvc-b")));
        assertEquals(List.of("snap-2"), ids(ListSnapshotsRequest.newBuilder().setSnapshotId("snap-2")));
        assertEquals(
                List.of(),
                ids(ListSnapshotsRequest.newBuilder().setSnapshotId("snap-2").setSourceVolumeId("pvc-b")));
        assertEquals(List.of(), ids(ListSnapshotsRequest.newBuilder().setSnapshotId("nope")));
        assertThrows(
                InvalidPageTokenException.class,
                () -> ids(ListSnapshotsRequest.newBuilder().setStartingToken("garbage!")));
        assertThrows(
                IllegalArgumentException.class,
                () -> ids(ListSnapshotsRequest.newBuilder().setMaxEntries(-1)));
    }

    private List<String> ids(ListSnapshotsRequest.Builder req) {
        return snapshots.listSnapshots(req.build()).getEntriesList().stream()
                .map(e -> e.getSnapshot().getSnapshotId())
                .toList();
    }

    @Test
    void clonesLiveOnTheirSourceNodeAndReportTheirSource() {
        volume("pvc-a", 10 * MIB, "n2");
        snapshot("snap-a", "pvc-a");
        Volume c = volumes.createVolume(clone("pvc-c", fromSnapshot("snap-a")).build())
                .getVolume();
        assertEquals(10 * MIB, c.getCapacityBytes(), "no capacity_range: the snapshot's size");
        assertEquals("n2", c.getAccessibleTopology(0).getSegmentsMap().get(TopologyPicker.KEY));
        assertEquals(fromSnapshot("snap-a"), c.getContentSource());
        assertEquals(
                c,
                volumes.createVolume(clone("pvc-c", fromSnapshot("snap-a")).build())
                        .getVolume(),
                "a retry");
        assertEquals(
                AgentReason.ALREADY_EXISTS,
                reason(() ->
                        volumes.createVolume(clone("pvc-c", fromVolume("pvc-a")).build())));
        assertEquals(
                AgentReason.ALREADY_EXISTS,
                reason(() -> volumes.createVolume(clone("pvc-a", fromSnapshot("snap-a"))
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(10 * MIB))
                        .build())),
                "an existing volume without a source is not the clone asked for");

        Volume v = volumes.createVolume(clone("pvc-d", fromVolume("pvc-a"))
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(20 * MIB))
                        .build())
                .getVolume();
        assertEquals(20 * MIB, v.getCapacityBytes());
        assertEquals(fromVolume("pvc-a"), v.getContentSource());
        assertEquals(List.of("snap-a"), ids(ListSnapshotsRequest.newBuilder()), "the internal snapshot is not listed");

        assertEquals(
                AgentReason.NOT_FOUND,
                reason(() ->
                        volumes.createVolume(clone("x", fromSnapshot("nope")).build())));
        assertEquals(
                AgentReason.NOT_FOUND,
                reason(() -> volumes.createVolume(clone("x", fromVolume("nope")).build())));
        assertThrows(
                CapacityOutOfRangeException.class,
                () -> volumes.createVolume(clone("x", fromSnapshot("snap-a"))
                        .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(MIB))
                        .build()));
        assertThrows(
                CapacityOutOfRangeException.class,
                () -> volumes.createVolume(clone("x", fromSnapshot("snap-a"))
                        .setCapacityRange(CapacityRange.newBuilder().setLimitBytes(MIB))
                        .build()));
        NoSuitableNodeException e = assertThrows(
                NoSuitableNodeException.class,
                () -> volumes.createVolume(clone("x", fromSnapshot("snap-a"))
                        .setAccessibilityRequirements(
                                TopologyRequirement.newBuilder().addRequisite(node("n1")))
                        .build()));
        assertTrue(e.getMessage().contains("on node n2"), e.getMessage());
        assertEquals(List.of(), splits);

        // deleting the source with clones and snapshots alive succeeds
        volumes.deleteVolume(
                DeleteVolumeRequest.newBuilder().setVolumeId("pvc-a").build());
        assertEquals("pvc-a", snapshot("snap-a", "pvc-a").getSourceVolumeId(), "the snapshot outlives its source");
    }

    @Test
    void splitOnCloneShareOrCopyCallsTheHook() {
        volume("pvc-a", MIB, "n1");
        snapshot("snap-a", "pvc-a");
        volumes.createVolume(clone("pvc-s", fromSnapshot("snap-a"))
                .putParameters("splitOnClone", "copy")
                .build());
        volumes.createVolume(clone("pvc-n", fromSnapshot("snap-a"))
                .putParameters("splitOnClone", "none")
                .build());
        assertEquals(List.of("n1/pvc-s/copy"), splits);
        assertEquals(
                "copy",
                agents.byNode().get("n1").volumes.get("pvc-s").attributes().get(CloneSplitHook.REQUESTED),
                "the request is stored with the clone, for the agent to retry after a crash");
        assertFalse(agents.byNode().get("n1").volumes.get("pvc-n").attributes().containsKey(CloneSplitHook.REQUESTED));
        // a CreateVolume retried after a crash between the clone and the hook asks again (the agent's start is
        // idempotent); a plain volume's retry never does
        volumes.createVolume(clone("pvc-s", fromSnapshot("snap-a"))
                .putParameters("splitOnClone", "copy")
                .build());
        volumes.createVolume(clone("pvc-n", fromSnapshot("snap-a"))
                .putParameters("splitOnClone", "none")
                .build());
        assertEquals(List.of("n1/pvc-s/copy", "n1/pvc-s/copy"), splits);
    }

    @Test
    void aCloneDeeperThanMaxChainDepthIsSplitInCopyMode() {
        volume("pvc-a", MIB, "n1");
        snapshot("snap-a", "pvc-a");
        volumes.createVolume(clone("pvc-1", fromSnapshot("snap-a"))
                .putParameters("maxChainDepth", "1")
                .build());
        assertEquals(List.of(), splits, "depth 1 is within the limit");
        snapshot("snap-1", "pvc-1");
        volumes.createVolume(clone("pvc-2", fromSnapshot("snap-1"))
                .putParameters("maxChainDepth", "1")
                .build());
        assertEquals(List.of("n1/pvc-2/copy"), splits, "depth 2 exceeds it");
        assertEquals(
                "copy",
                agents.byNode().get("n1").volumes.get("pvc-2").attributes().get(CloneSplitHook.REQUESTED),
                "decided before the clone exists and stored with it");
        volumes.createVolume(clone("pvc-3", fromSnapshot("snap-1"))
                .putParameters("maxChainDepth", "1")
                .putParameters("splitOnClone", "share")
                .build());
        assertEquals(List.of("n1/pvc-2/copy", "n1/pvc-3/share"), splits, "an asked-for split ends the chain too");
        volumes.createVolume(clone("pvc-4", fromSnapshot("snap-1")).build());
        assertEquals(2, splits.size(), "no maxChainDepth, no limit (pvc-4 has depth 2 too)");
    }

    @Test
    void theAgentHookStartsTheSplitAndGetVolumeReportsItsPhase() {
        VolumeController wired = new VolumeController(agents, CloneSplitHook.startingOn(agents));
        volume("pvc-a", MIB, "n1");
        snapshot("snap-a", "pvc-a");
        Volume created = wired.createVolume(clone("pvc-s", fromSnapshot("snap-a"))
                        .putParameters("splitOnClone", "copy")
                        .build())
                .getVolume();
        assertFalse(
                created.getVolumeContextMap().containsKey("vdisk.csi.dev/split"),
                "CreateVolume's context is the static one the CO stores");
        assertEquals("copy", agents.byNode().get("n1").splits.get("pvc-s").mode());
        assertEquals(
                "DONE",
                wired.controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                                .setVolumeId("pvc-s")
                                .build())
                        .getVolume()
                        .getVolumeContextOrThrow("vdisk.csi.dev/split"));
        assertFalse(
                wired.controllerGetVolume(ControllerGetVolumeRequest.newBuilder()
                                .setVolumeId("pvc-a")
                                .build())
                        .getVolume()
                        .getVolumeContextMap()
                        .containsKey("vdisk.csi.dev/split"),
                "no split, no key");
        // a refusal (a different mode) is logged, not thrown: the clone exists either way
        CloneSplitHook.startingOn(agents).startSplit("n1", "pvc-s", "share");
        assertEquals("copy", agents.byNode().get("n1").splits.get("pvc-s").mode());
    }
}
