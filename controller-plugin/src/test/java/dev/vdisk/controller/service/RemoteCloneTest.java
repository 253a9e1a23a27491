package dev.vdisk.controller.service;

import static dev.vdisk.controller.service.ValueClassesTest.mount;
import static dev.vdisk.controller.service.ValueClassesTest.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import csi.v1.CapacityRange;
import csi.v1.CreateVolumeRequest;
import csi.v1.TopologyRequirement;
import csi.v1.Volume;
import csi.v1.VolumeCapability.AccessMode.Mode;
import csi.v1.VolumeContentSource;
import dev.vdisk.api.agent.AgentSnapshot;
import dev.vdisk.api.agent.VolumeAgent;
import dev.vdisk.controller.agents.NodeAgents;
import dev.vdisk.controller.agents.RemoteClones;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Restore anywhere as the controller sees it: a clone whose source is on a node the topology excludes goes to the
 * node the topology picks through {@link RemoteClones} (the in-memory "pull" copies the snapshot's record over); a
 * source on an allowed node stays a local thin clone; without remote clones the old refusal stands.
 */
class RemoteCloneTest {
    private static final long MIB = 1 << 20;
    private static final long GIB = 1L << 30;

    private final Agents memory = Agents.of("n1", GIB, "n2", GIB, "n3", GIB);
    /** (target, source, volume, snapshot) of each remote clone asked for. */
    private final List<List<String>> remote = new CopyOnWriteArrayList<>();

    private final NodeAgents agents = new NodeAgents() {
        @Override
        public SortedSet<String> nodeIds() {
            return memory.nodeIds();
        }

        @Override
        public Optional<VolumeAgent> agent(String nodeId) {
            return memory.agent(nodeId);
        }

        @Override
        public Optional<RemoteClones> remoteClones() {
            return Optional.of((target, source, volumeId, snapshotId, size, attributes) -> {
                remote.add(List.of(target, source, volumeId, snapshotId));
                AgentSnapshot s = memory.byNode().get(source).snapshots.get(snapshotId);
                MemoryAgent to = memory.byNode().get(target);
                to.snapshots.putIfAbsent(snapshotId, s);
                return to.cloneVolume(volumeId, snapshotId, size, attributes);
            });
        }
    };
    private final VolumeController c = new VolumeController(agents, CloneSplitHook.NOT_WIRED);

    private static CreateVolumeRequest.Builder create(String name, VolumeContentSource source, String... nodes) {
        TopologyRequirement.Builder t = TopologyRequirement.newBuilder();
        for (String n : nodes) {
            t.addRequisite(node(n)).addPreferred(node(n));
        }
        return CreateVolumeRequest.newBuilder()
                .setName(name)
                .addVolumeCapabilities(mount("ext4", Mode.SINGLE_NODE_WRITER))
                .setCapacityRange(CapacityRange.newBuilder().setRequiredBytes(64 * MIB))
                .setVolumeContentSource(source)
                .setAccessibilityRequirements(t);
    }

    private static VolumeContentSource snapshot(String id) {
        return VolumeContentSource.newBuilder()
                .setSnapshot(VolumeContentSource.SnapshotSource.newBuilder().setSnapshotId(id))
                .build();
    }

    private static VolumeContentSource volume(String id) {
        return VolumeContentSource.newBuilder()
                .setVolume(VolumeContentSource.VolumeSource.newBuilder().setVolumeId(id))
                .build();
    }

    private static String nodeOf(Volume v) {
        return v.getAccessibleTopology(0).getSegmentsOrThrow(TopologyPicker.KEY);
    }

    @Test
    void aSnapshotOfAnotherNodeIsClonedWhereTheTopologySays() {
        MemoryAgent n1 = memory.byNode().get("n1");
        n1.createVolume("src", 64 * MIB, Map.of());
        n1.createSnapshot("snap", "src");

        Volume v =
                c.createVolume(create("pvc-r", snapshot("snap"), "n2").build()).getVolume();
        assertEquals("n2", nodeOf(v));
        assertEquals(List.of(List.of("n2", "n1", v.getVolumeId(), "snap")), remote);
        assertEquals("snap", v.getContentSource().getSnapshot().getSnapshotId());
        assertEquals(
                v,
                c.createVolume(create("pvc-r", snapshot("snap"), "n2").build()).getVolume(),
                "idempotent");
        assertEquals(1, remote.size(), "a retry finds the volume");

        // a source on an allowed node: a local thin clone, as before
        Volume local = c.createVolume(
                        create("pvc-l", snapshot("snap"), "n1", "n3").build())
                .getVolume();
        assertEquals("n1", nodeOf(local));
        assertEquals(1, remote.size());
    }

    @Test
    void aVolumeOfAnotherNodeIsClonedThroughAnInternalSnapshotDeletedAfterwards() {
        MemoryAgent n1 = memory.byNode().get("n1");
        n1.createVolume("src", 64 * MIB, Map.of());

        Volume v = c.createVolume(create("pvc-c", volume("src"), "n3").build()).getVolume();
        assertEquals("n3", nodeOf(v));
        String internal = ContentSource.internalSnapshotId(v.getVolumeId());
        assertEquals(List.of(List.of("n3", "n1", v.getVolumeId(), internal)), remote);
        assertTrue(n1.snapshots.isEmpty(), "the internal snapshot is gone from n1: " + n1.snapshots);
    }

    @Test
    void withoutRemoteClonesACloneStaysOnItsSourcesNode() {
        memory.byNode().get("n1").createVolume("src", 64 * MIB, Map.of());
        memory.byNode().get("n1").createSnapshot("snap", "src");
        VolumeController plain = new VolumeController(memory, CloneSplitHook.NOT_WIRED);
        NoSuitableNodeException e = assertThrows(
                NoSuitableNodeException.class,
                () -> plain.createVolume(create("pvc-r", snapshot("snap"), "n2").build()));
        assertTrue(e.getMessage().contains("on node n1"), e.getMessage());
    }
}
