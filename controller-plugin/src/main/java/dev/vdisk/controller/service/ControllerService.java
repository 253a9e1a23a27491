package dev.vdisk.controller.service;

import csi.v1.ControllerExpandVolumeRequest;
import csi.v1.ControllerExpandVolumeResponse;
import csi.v1.ControllerGetCapabilitiesRequest;
import csi.v1.ControllerGetCapabilitiesResponse;
import csi.v1.ControllerGetVolumeRequest;
import csi.v1.ControllerGetVolumeResponse;
import csi.v1.ControllerGrpc;
import csi.v1.ControllerModifyVolumeRequest;
import csi.v1.ControllerModifyVolumeResponse;
import csi.v1.ControllerServiceCapability;
import csi.v1.ControllerServiceCapability.RPC.Type;
import csi.v1.CreateSnapshotRequest;
import csi.v1.CreateSnapshotResponse;
import csi.v1.CreateVolumeRequest;
import csi.v1.CreateVolumeResponse;
import csi.v1.DeleteSnapshotRequest;
import csi.v1.DeleteSnapshotResponse;
import csi.v1.DeleteVolumeRequest;
import csi.v1.DeleteVolumeResponse;
import csi.v1.GetCapacityRequest;
import csi.v1.GetCapacityResponse;
import csi.v1.GetSnapshotRequest;
import csi.v1.GetSnapshotResponse;
import csi.v1.ListSnapshotsRequest;
import csi.v1.ListSnapshotsResponse;
import csi.v1.ListVolumesRequest;
import csi.v1.ListVolumesResponse;
import csi.v1.ValidateVolumeCapabilitiesRequest;
import csi.v1.ValidateVolumeCapabilitiesResponse;
import dev.vdisk.controller.agents.NodeAgents;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * The CSI Controller service (spec v1.12), and the locking decorator in front of {@link VolumeController} and
 * {@link SnapshotController}: every call that changes a volume or snapshot takes its ID's lock first (CreateVolume and
 * CreateSnapshot: the ID the name maps to, see {@link VolumeIds}), so duplicate and concurrent calls for one volume or
 * snapshot run one at a time and the idempotency checks inside see each other's results. Reads (ListVolumes,
 * GetCapacity, ControllerGetVolume, ValidateVolumeCapabilities, ListSnapshots, GetSnapshot) take no lock. Each call
 * is logged by csi-server's interceptor, secrets never.
 *
 * <p>Advertised: exactly what works (see {@link #CAPABILITIES}). Not implemented, answering UNIMPLEMENTED:
 * ControllerPublish/Unpublish (node-local volumes need no attach).
 */
public final class ControllerService extends ControllerGrpc.ControllerImplBase {

    /** How long a call waits for another one on the same volume before answering ABORTED. */
    static final Duration LOCK_WAIT = Duration.ofSeconds(60);

    /**
     * Not PUBLISH_UNPUBLISH_VOLUME (a vdisk is reachable from its own node only; the Node service attaches it), so
     * not LIST_VOLUMES_PUBLISHED_NODES either (spec: it requires PUBLISH_UNPUBLISH_VOLUME).
     */
    static final List<Type> CAPABILITIES = List.of(
            Type.CREATE_DELETE_VOLUME,
            Type.LIST_VOLUMES,
            Type.GET_CAPACITY,
            Type.EXPAND_VOLUME,
            Type.GET_VOLUME,
            Type.VOLUME_CONDITION,
            Type.SINGLE_NODE_MULTI_WRITER,
            Type.MODIFY_VOLUME,
            Type.CREATE_DELETE_SNAPSHOT,
            Type.LIST_SNAPSHOTS,
            Type.GET_SNAPSHOT,
            Type.CLONE_VOLUME);

    private static final ControllerGetCapabilitiesResponse CAPABILITIES_RESPONSE =
            ControllerGetCapabilitiesResponse.newBuilder()
                    .addAllCapabilities(CAPABILITIES.stream()
                            .map(t -> ControllerServiceCapability.newBuilder()
                                    .setRpc(ControllerServiceCapability.RPC
                                            .newBuilder()
                                            .setType(t))
                                    .build())
                            .toList())
                    .build();

    private final VolumeController volumes;
    private final SnapshotController snapshots;
    private final OperationLocks locks;

    public ControllerService(NodeAgents agents) {
        this(agents, CloneSplitHook.NOT_WIRED, LOCK_WAIT);
    }

    public ControllerService(NodeAgents agents, CloneSplitHook splits) {
        this(agents, splits, LOCK_WAIT);
    }

    ControllerService(NodeAgents agents, Duration lockWait) {
        this(agents, CloneSplitHook.NOT_WIRED, lockWait);
    }

    ControllerService(NodeAgents agents, CloneSplitHook splits, Duration lockWait) {
        this.volumes = new VolumeController(agents, splits);
        this.snapshots = new SnapshotController(agents);
        this.locks = new OperationLocks(lockWait);
    }

    @Override
    public void createVolume(CreateVolumeRequest req, StreamObserver<CreateVolumeResponse> response) {
        String volumeId = VolumeIds.forName(VolumeController.required("name", req.getName()));
        reply(response, locked(volumeId, () -> volumes.createVolume(req)));
    }

    @Override
    public void deleteVolume(DeleteVolumeRequest req, StreamObserver<DeleteVolumeResponse> response) {
        String volumeId = VolumeController.required("volume_id", req.getVolumeId());
        reply(response, locked(volumeId, () -> {
            volumes.deleteVolume(req);
            return DeleteVolumeResponse.getDefaultInstance();
        }));
    }

    @Override
    public void controllerExpandVolume(
            ControllerExpandVolumeRequest req, StreamObserver<ControllerExpandVolumeResponse> response) {
        String volumeId = VolumeController.required("volume_id", req.getVolumeId());
        reply(response, locked(volumeId, () -> volumes.controllerExpandVolume(req)));
    }

    @Override
    public void controllerModifyVolume(
            ControllerModifyVolumeRequest req, StreamObserver<ControllerModifyVolumeResponse> response) {
        String volumeId = VolumeController.required("volume_id", req.getVolumeId());
        reply(response, locked(volumeId, () -> volumes.controllerModifyVolume(req)));
    }

    @Override
    public void validateVolumeCapabilities(
            ValidateVolumeCapabilitiesRequest req, StreamObserver<ValidateVolumeCapabilitiesResponse> response) {
        reply(response, volumes.validateVolumeCapabilities(req));
    }

    @Override
    public void controllerGetVolume(
            ControllerGetVolumeRequest req, StreamObserver<ControllerGetVolumeResponse> response) {
        reply(response, volumes.controllerGetVolume(req));
    }

    @Override
    public void listVolumes(ListVolumesRequest req, StreamObserver<ListVolumesResponse> response) {
        reply(response, volumes.listVolumes(req));
    }

    @Override
    public void getCapacity(GetCapacityRequest req, StreamObserver<GetCapacityResponse> response) {
        reply(response, volumes.getCapacity(req));
    }

    @Override
    public void createSnapshot(CreateSnapshotRequest req, StreamObserver<CreateSnapshotResponse> response) {
        String snapshotId = VolumeIds.forName(VolumeController.required("name", req.getName()));
        reply(response, locked(snapshotId, () -> snapshots.createSnapshot(req)));
    }

    @Override
    public void deleteSnapshot(DeleteSnapshotRequest req, StreamObserver<DeleteSnapshotResponse> response) {
        String snapshotId = VolumeController.required("snapshot_id", req.getSnapshotId());
        reply(response, locked(snapshotId, () -> {
            snapshots.deleteSnapshot(req);
            return DeleteSnapshotResponse.getDefaultInstance();
        }));
    }

    @Override
    public void listSnapshots(ListSnapshotsRequest req, StreamObserver<ListSnapshotsResponse> response) {
        reply(response, snapshots.listSnapshots(req));
    }

    @Override
    public void getSnapshot(GetSnapshotRequest req, StreamObserver<GetSnapshotResponse> response) {
        reply(response, snapshots.getSnapshot(req));
    }

    @Override
    public void controllerGetCapabilities(
            ControllerGetCapabilitiesRequest req, StreamObserver<ControllerGetCapabilitiesResponse> response) {
        reply(response, CAPABILITIES_RESPONSE);
    }

    /** Runs {@code work} holding the per-id lock (the decorator's one job); the unlocked implementation never locks. */
    private <T> T locked(String id, Supplier<T> work) {
        try (var held = locks.lock(id)) {
            return work.get();
        }
    }

    private static <T> void reply(StreamObserver<T> response, T message) {
        response.onNext(message);
        response.onCompleted();
    }
}
