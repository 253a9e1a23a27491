package dev.vdisk.controller.service;

import com.google.protobuf.Timestamp;
import csi.v1.CreateVolumeGroupSnapshotRequest;
import csi.v1.DeleteVolumeGroupSnapshotRequest;
import csi.v1.GetVolumeGroupSnapshotRequest;
import csi.v1.VolumeGroupSnapshot;
import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.controller.agents.NodeAgents;
import dev.vdisk.controller.agents.NodeSnapshot;
import dev.vdisk.controller.agents.NodeVolume;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The GroupController's RPCs without locking; used only behind {@link GroupControllerService}, which holds the group
 * ID's lock. A group snapshot is one engine group snapshot ({@code Pool.snapshots().takeGroup}: every volume at one instant,
 * all or none) on the one node that holds all its volumes; its members are ordinary snapshots that record their
 * group. IDs are functions of names, as for volumes: the group's is {@link VolumeIds#forGroupName} of its name, each
 * member's that of {@code <group ID>.<volume ID>}, so a retry finds everything without a table.
 */
final class GroupSnapshotController {

    private final NodeAgents agents;

    GroupSnapshotController(NodeAgents agents) {
        this.agents = agents;
    }

    static String groupId(String name) {
        return VolumeIds.forGroupName(name);
    }

    VolumeGroupSnapshot create(CreateVolumeGroupSnapshotRequest req) {
        String name = VolumeController.required("name", req.getName());
        if (req.getSourceVolumeIdsCount() == 0) {
            throw new IllegalArgumentException("source_volume_ids missing in request");
        }
        Set<String> volumes = new TreeSet<>(req.getSourceVolumeIdsList());
        if (volumes.size() != req.getSourceVolumeIdsCount() || volumes.contains("")) {
            throw new IllegalArgumentException(
                    "source_volume_ids " + req.getSourceVolumeIdsList() + " name a volume twice or an empty ID");
        }
        String groupId = groupId(name);
        // spec: the same name with other source volumes -> ALREADY_EXISTS; the same -> 0 OK with the existing group
        List<NodeSnapshot> existing = members(groupId);
        if (!existing.isEmpty()) {
            Set<String> had = existing.stream()
                    .map(s -> s.snapshot().sourceVolumeId())
                    .collect(Collectors.toCollection(TreeSet::new));
            if (!had.equals(volumes)) {
                throw new AgentException(
                        AgentReason.ALREADY_EXISTS,
                        "group snapshot " + groupId + " for name '" + name + "' already exists of volumes " + had
                                + ", not " + volumes);
            }
            return toGroup(groupId, existing);
        }
        Map<String, String> snapshotIdByVolume = new LinkedHashMap<>();
        String node = null;
        for (String volumeId : volumes) {
            NodeVolume v = agents.find(volumeId)
                    .orElseThrow(() ->
                            new AgentException(AgentReason.NOT_FOUND, "source volume " + volumeId + " does not exist"));
            if (node != null && !node.equals(v.nodeId())) {
                // spec: INVALID_ARGUMENT for source volumes that cannot be snapshotted together
                throw new IllegalArgumentException("source volumes are on different nodes (" + node + ", "
                        + v.nodeId() + "): a group snapshot is taken at one instant only within one node's pool, so"
                        + " crash consistency across nodes cannot be promised; group volumes of one node only");
            }
            node = v.nodeId();
            snapshotIdByVolume.put(volumeId, VolumeIds.forName(groupId + "." + volumeId));
        }
        String on = node;
        List<NodeSnapshot> taken =
                VolumeController.agent(agents, on).createSnapshotGroup(groupId, snapshotIdByVolume).stream()
                        .map(s -> new NodeSnapshot(on, s))
                        .toList();
        return toGroup(groupId, taken);
    }

    /** Spec: a group that does not exist -> 0 OK; snapshot_ids that are not its members -> INVALID_ARGUMENT. */
    void delete(DeleteVolumeGroupSnapshotRequest req) {
        String groupId = VolumeController.required("group_snapshot_id", req.getGroupSnapshotId());
        List<NodeSnapshot> members = members(groupId);
        checkMembers(groupId, members, req.getSnapshotIdsList());
        for (NodeSnapshot s : members) {
            VolumeController.agent(agents, s.nodeId())
                    .deleteSnapshot(s.snapshot().snapshotId());
        }
    }

    VolumeGroupSnapshot get(GetVolumeGroupSnapshotRequest req) {
        String groupId = VolumeController.required("group_snapshot_id", req.getGroupSnapshotId());
        List<NodeSnapshot> members = members(groupId);
        if (members.isEmpty()) {
            throw new AgentException(AgentReason.NOT_FOUND, "group snapshot " + groupId + " does not exist");
        }
        checkMembers(groupId, members, req.getSnapshotIdsList());
        return toGroup(groupId, members);
    }

    /** Spec, snapshot_ids: the SP "SHOULD check this field and report an error if it has the ability to detect a mismatch". */
    private static void checkMembers(String groupId, List<NodeSnapshot> members, List<String> asked) {
        if (members.isEmpty() || asked.isEmpty()) {
            return;
        }
        Set<String> have =
                members.stream().map(s -> s.snapshot().snapshotId()).collect(Collectors.toCollection(TreeSet::new));
        if (!have.equals(new TreeSet<>(asked))) {
            throw new IllegalArgumentException("snapshot_ids " + new TreeSet<>(asked)
                    + " are not the snapshots of group" + " snapshot " + groupId + ": " + have);
        }
    }

    private List<NodeSnapshot> members(String groupId) {
        return agents.listSnapshots().stream()
                .filter(s -> s.snapshot().groupId().equals(groupId))
                .toList();
    }

    private static VolumeGroupSnapshot toGroup(String groupId, List<NodeSnapshot> members) {
        long created = members.stream()
                .mapToLong(s -> s.snapshot().createdMillis())
                .min()
                .orElse(0);
        VolumeGroupSnapshot.Builder out = VolumeGroupSnapshot.newBuilder()
                .setGroupSnapshotId(groupId)
                .setReadyToUse(true)
                .setCreationTime(Timestamp.newBuilder()
                        .setSeconds(Math.floorDiv(created, 1000))
                        .setNanos((int) Math.floorMod(created, 1000) * 1_000_000));
        members.forEach(s -> out.addSnapshots(SnapshotController.toSnapshot(s)));
        return out.build();
    }
}
