package dev.vdisk.controller.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CreateVolumeGroupSnapshotRequest;
import csi.v1.DeleteVolumeGroupSnapshotRequest;
import csi.v1.GetVolumeGroupSnapshotRequest;
import csi.v1.Snapshot;
import csi.v1.VolumeGroupSnapshot;
import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import java.util.List;
import org.junit.jupiter.api.Test;

class GroupSnapshotControllerTest {
    private static final long GIB = 1L << 30;

    private final Agents agents = Agents.of("n1", GIB, "n2", GIB);
    private final GroupSnapshotController groups = new GroupSnapshotController(agents);

    private VolumeGroupSnapshot create(String name, String... volumes) {
        return groups.create(CreateVolumeGroupSnapshotRequest.newBuilder()
                .setName(name)
                .addAllSourceVolumeIds(List.of(volumes))
                .build());
    }

    private static AgentReason reason(Runnable call) {
        return assertThrows(AgentException.class, call::run).reason();
    }

    @Test
    void oneNodesVolumesAtOnceIdempotentlyAndNeverAcrossNodes() {
        agents.byNode().get("n1").createVolume("pvc-a", 4096);
        agents.byNode().get("n1").createVolume("pvc-b", 4096);
        agents.byNode().get("n2").createVolume("pvc-c", 4096);

        VolumeGroupSnapshot g = create("group-1", "pvc-b", "pvc-a");
        assertEquals("group-1", g.getGroupSnapshotId());
        assertEquals(
                List.of("pvc-a", "pvc-b"),
                g.getSnapshotsList().stream().map(Snapshot::getSourceVolumeId).toList());
        assertTrue(g.getSnapshotsList().stream()
                .allMatch(s -> s.getGroupSnapshotId().equals("group-1") && s.getReadyToUse()));
        assertTrue(g.getReadyToUse());
        assertEquals(g, create("group-1", "pvc-a", "pvc-b"), "a retry");
        assertEquals(AgentReason.ALREADY_EXISTS, reason(() -> create("group-1", "pvc-a")), "same name, other volumes");

        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> create("group-2", "pvc-a", "pvc-c"));
        assertTrue(e.getMessage().contains("crash consistency"), e.getMessage());
        assertEquals(AgentReason.NOT_FOUND, reason(() -> create("group-2", "pvc-a", "nope")));
        assertThrows(IllegalArgumentException.class, () -> create("group-2"));
        assertThrows(IllegalArgumentException.class, () -> create("group-2", "pvc-a", "pvc-a"));
        assertThrows(IllegalArgumentException.class, () -> create("", "pvc-a"));

        List<String> ids =
                g.getSnapshotsList().stream().map(Snapshot::getSnapshotId).toList();
        assertEquals(
                g,
                groups.get(GetVolumeGroupSnapshotRequest.newBuilder()
                        .setGroupSnapshotId("group-1")
                        .addAllSnapshotIds(ids)
                        .build()));
        assertThrows(
                IllegalArgumentException.class,
                () -> groups.get(GetVolumeGroupSnapshotRequest.newBuilder()
                        .setGroupSnapshotId("group-1")
                        .addSnapshotIds(ids.getFirst())
                        .build()),
                "snapshot_ids mismatch");
        assertThrows(
                IllegalArgumentException.class,
                () -> groups.delete(DeleteVolumeGroupSnapshotRequest.newBuilder()
                        .setGroupSnapshotId("group-1")
                        .addSnapshotIds("other")
                        .build()));
        groups.delete(DeleteVolumeGroupSnapshotRequest.newBuilder()
                .setGroupSnapshotId("group-1")
                .addAllSnapshotIds(ids)
                .build());
        groups.delete(DeleteVolumeGroupSnapshotRequest.newBuilder()
                .setGroupSnapshotId("group-1")
                .build());
        assertEquals(
                AgentReason.NOT_FOUND,
                reason(() -> groups.get(GetVolumeGroupSnapshotRequest.newBuilder()
                        .setGroupSnapshotId("group-1")
                        .build())));
        assertTrue(agents.byNode().get("n1").snapshots.isEmpty());
    }
}
