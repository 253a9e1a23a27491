package dev.vdisk.controller.service;

import csi.v1.CreateVolumeGroupSnapshotRequest;
import csi.v1.CreateVolumeGroupSnapshotResponse;
import csi.v1.DeleteVolumeGroupSnapshotRequest;
import csi.v1.DeleteVolumeGroupSnapshotResponse;
import csi.v1.GetVolumeGroupSnapshotRequest;
import csi.v1.GetVolumeGroupSnapshotResponse;
import csi.v1.GroupControllerGetCapabilitiesRequest;
import csi.v1.GroupControllerGetCapabilitiesResponse;
import csi.v1.GroupControllerGrpc;
import csi.v1.GroupControllerServiceCapability;
import dev.vdisk.controller.agents.NodeAgents;
import io.grpc.stub.StreamObserver;

/**
 * The CSI GroupController service (spec v1.12) and the locking decorator in front of
 * {@link GroupSnapshotController}: create and delete take the group ID's lock (create: the ID its name maps to), so
 * a CO's retries run one at a time. Advertises CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT, which all three RPCs
 * implement.
 */
public final class GroupControllerService extends GroupControllerGrpc.GroupControllerImplBase {

    private static final GroupControllerGetCapabilitiesResponse CAPABILITIES =
            GroupControllerGetCapabilitiesResponse.newBuilder()
                    .addCapabilities(GroupControllerServiceCapability.newBuilder()
                            .setRpc(GroupControllerServiceCapability.RPC
                                    .newBuilder()
                                    .setType(
                                            GroupControllerServiceCapability.RPC
                                                    .Type
                                                    .CREATE_DELETE_GET_VOLUME_GROUP_SNAPSHOT)))
                    .build();

    private final GroupSnapshotController groups;
    private final OperationLocks locks = new OperationLocks(ControllerService.LOCK_WAIT);

    public GroupControllerService(NodeAgents agents) {
        this.groups = new GroupSnapshotController(agents);
    }

    @Override
    public void groupControllerGetCapabilities(
            GroupControllerGetCapabilitiesRequest req,
            StreamObserver<GroupControllerGetCapabilitiesResponse> response) {
        reply(response, CAPABILITIES);
    }

    @Override
    public void createVolumeGroupSnapshot(
            CreateVolumeGroupSnapshotRequest req, StreamObserver<CreateVolumeGroupSnapshotResponse> response) {
        String groupId = GroupSnapshotController.groupId(VolumeController.required("name", req.getName()));
        CreateVolumeGroupSnapshotResponse out;
        try (var held = locks.lock(groupId)) {
            out = CreateVolumeGroupSnapshotResponse.newBuilder()
                    .setGroupSnapshot(groups.create(req))
                    .build();
        }
        reply(response, out);
    }

    @Override
    public void deleteVolumeGroupSnapshot(
            DeleteVolumeGroupSnapshotRequest req, StreamObserver<DeleteVolumeGroupSnapshotResponse> response) {
        String groupId = VolumeController.required("group_snapshot_id", req.getGroupSnapshotId());
        try (var held = locks.lock(groupId)) {
            groups.delete(req);
        }
        reply(response, DeleteVolumeGroupSnapshotResponse.getDefaultInstance());
    }

    @Override
    public void getVolumeGroupSnapshot(
            GetVolumeGroupSnapshotRequest req, StreamObserver<GetVolumeGroupSnapshotResponse> response) {
        reply(
                response,
                GetVolumeGroupSnapshotResponse.newBuilder()
                        .setGroupSnapshot(groups.get(req))
                        .build());
    }

    private static <T> void reply(StreamObserver<T> response, T message) {
        response.onNext(message);
        response.onCompleted();
    }
}
