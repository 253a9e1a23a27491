package dev.vdisk.controller.service;

import com.google.protobuf.Timestamp;
import csi.v1.CreateSnapshotRequest;
import csi.v1.CreateSnapshotResponse;
import csi.v1.DeleteSnapshotRequest;
import csi.v1.GetSnapshotRequest;
import csi.v1.GetSnapshotResponse;
import csi.v1.ListSnapshotsRequest;
import csi.v1.ListSnapshotsResponse;
import csi.v1.Snapshot;
import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.api.agent.AgentSnapshot;
import dev.vdisk.controller.agents.NodeAgents;
import dev.vdisk.controller.agents.NodeSnapshot;
import dev.vdisk.controller.agents.NodeVolume;
import java.util.List;
import java.util.Optional;

/**
 * The Controller's snapshot RPCs without locking; used only behind {@link ControllerService}, which holds the
 * snapshot ID's lock around CreateSnapshot and DeleteSnapshot. Snapshot IDs come from names as volume IDs do
 * ({@link VolumeIds}); snapshots live in the pool of their source's node and are ready on return (the engine shares
 * the volume's tree in one consistency point: nothing is cut or uploaded afterwards).
 */
final class SnapshotController {

    private final NodeAgents agents;

    SnapshotController(NodeAgents agents) {
        this.agents = agents;
    }

    CreateSnapshotResponse createSnapshot(CreateSnapshotRequest req) {
        String name = VolumeController.required("name", req.getName());
        String source = VolumeController.required("source_volume_id", req.getSourceVolumeId());
        String snapshotId = VolumeIds.forName(name);
        // spec: same name and source -> 0 OK with the existing snapshot; another source -> ALREADY_EXISTS
        Optional<NodeSnapshot> existing =
                agents.findSnapshot(snapshotId).or(() -> VolumeIds.legacy(name).flatMap(agents::findSnapshot));
        if (existing.isPresent()) {
            String was = existing.get().snapshot().sourceVolumeId();
            if (!was.equals(source)) {
                throw new AgentException(
                        AgentReason.ALREADY_EXISTS,
                        "snapshot " + snapshotId + " for name '" + name + "' already exists of volume " + was
                                + ", not of " + source);
            }
            return CreateSnapshotResponse.newBuilder()
                    .setSnapshot(toSnapshot(existing.get()))
                    .build();
        }
        NodeVolume volume = agents.find(source)
                .orElseThrow(
                        () -> new AgentException(AgentReason.NOT_FOUND, "source volume " + source + " does not exist"));
        AgentSnapshot taken = VolumeController.agent(agents, volume.nodeId()).createSnapshot(snapshotId, source);
        return CreateSnapshotResponse.newBuilder()
                .setSnapshot(toSnapshot(new NodeSnapshot(volume.nodeId(), taken)))
                .build();
    }

    /**
     * Spec: a snapshot that does not exist -> 0 OK. One that clones still read through is deleted for the CO too:
     * the engine hides it and frees it with its last clone, so the CO never has to order deletions.
     */
    void deleteSnapshot(DeleteSnapshotRequest req) {
        String snapshotId = VolumeController.required("snapshot_id", req.getSnapshotId());
        Optional<NodeSnapshot> existing = agents.findSnapshot(snapshotId);
        if (existing.isPresent()) {
            VolumeController.agent(agents, existing.get().nodeId()).deleteSnapshot(snapshotId);
        }
    }

    GetSnapshotResponse getSnapshot(GetSnapshotRequest req) {
        String snapshotId = VolumeController.required("snapshot_id", req.getSnapshotId());
        NodeSnapshot s = agents.findSnapshot(snapshotId)
                .orElseThrow(
                        () -> new AgentException(AgentReason.NOT_FOUND, "snapshot " + snapshotId + " does not exist"));
        return GetSnapshotResponse.newBuilder().setSnapshot(toSnapshot(s)).build();
    }

    /**
     * Sorted by snapshot ID and paged as ListVolumes ({@link PageToken}); the filters are ANDed and a filter that
     * matches nothing gives an empty list, not an error (spec: "If no snapshots match ... the Plugin MUST reply 0 OK
     * with an empty entries").
     */
    ListSnapshotsResponse listSnapshots(ListSnapshotsRequest req) {
        if (req.getMaxEntries() < 0) {
            throw new IllegalArgumentException("max_entries must not be negative, got " + req.getMaxEntries());
        }
        Optional<String> after = req.getStartingToken().isEmpty()
                ? Optional.empty()
                : Optional.of(PageToken.decode(req.getStartingToken()));
        List<NodeSnapshot> all = req.getSnapshotId().isEmpty()
                ? agents.listSnapshots()
                : agents.findSnapshot(req.getSnapshotId()).stream().toList();
        List<NodeSnapshot> rest = all.stream()
                .filter(s -> !ContentSource.isInternal(s.snapshot().snapshotId()))
                .filter(s -> req.getSourceVolumeId().isEmpty()
                        || s.snapshot().sourceVolumeId().equals(req.getSourceVolumeId()))
                .filter(s -> after.isEmpty() || s.snapshot().snapshotId().compareTo(after.get()) > 0)
                .toList();
        int n = req.getMaxEntries() == 0 ? rest.size() : Math.min(req.getMaxEntries(), rest.size());
        ListSnapshotsResponse.Builder out = ListSnapshotsResponse.newBuilder();
        for (NodeSnapshot s : rest.subList(0, n)) {
            out.addEntries(ListSnapshotsResponse.Entry.newBuilder().setSnapshot(toSnapshot(s)));
        }
        if (n < rest.size()) {
            out.setNextToken(PageToken.after(rest.get(n - 1).snapshot().snapshotId()));
        }
        return out.build();
    }

    /** Spec: ready_to_use true once it can be a volume's content source, which is at once here. */
    static Snapshot toSnapshot(NodeSnapshot s) {
        AgentSnapshot a = s.snapshot();
        return Snapshot.newBuilder()
                .setSnapshotId(a.snapshotId())
                .setSourceVolumeId(a.sourceVolumeId())
                .setSizeBytes(a.sizeBytes())
                .setReadyToUse(true)
                .setGroupSnapshotId(a.groupId())
                .setCreationTime(Timestamp.newBuilder()
                        .setSeconds(Math.floorDiv(a.createdMillis(), 1000))
                        .setNanos((int) Math.floorMod(a.createdMillis(), 1000) * 1_000_000))
                .build();
    }
}
