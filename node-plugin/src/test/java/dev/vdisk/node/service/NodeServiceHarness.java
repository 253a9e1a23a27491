package dev.vdisk.node.service;

import csi.v1.NodeExpandVolumeRequest;
import csi.v1.NodeExpandVolumeResponse;
import csi.v1.NodeGetVolumeStatsRequest;
import csi.v1.NodeGetVolumeStatsResponse;
import csi.v1.NodePublishVolumeRequest;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.VolumeCapability;
import csi.v1.VolumeCapability.AccessMode.Mode;
import dev.vdisk.node.agent.AgentConfig;
import dev.vdisk.node.agent.NodeAgent;
import dev.vdisk.node.fuse.FuseConfig;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.BiConsumer;

/**
 * A {@link NodeService} on a real agent (pool, FUSE data path, loop devices) under a test directory, called in
 * process: each call returns the response or throws what the service threw (csi-server's StatusMapper would turn
 * IllegalArgumentException into INVALID_ARGUMENT and an AgentException into its reason's code).
 */
final class NodeServiceHarness implements AutoCloseable {
    static final long MIB = 1 << 20;

    final Path kubelet;
    final NodeAgent agent;
    final NodeService node;

    NodeServiceHarness(Path dir, long poolBytes) throws IOException {
        this.kubelet = dir.resolve("kubelet").toAbsolutePath();
        this.agent = NodeAgent.start(new AgentConfig(
                dir.resolve("pool"),
                OptionalLong.of(poolBytes),
                dir.resolve("state"),
                kubelet,
                "n1",
                4,
                FuseConfig.defaults().withWorkers(2)));
        this.node = new NodeService(agent);
    }

    Path staging(String volumeId) {
        return kubelet.resolve("plugins/kubernetes.io/csi/vdisk.csi.dev/" + volumeId + "/globalmount");
    }

    static VolumeCapability mount(String fsType) {
        return VolumeCapability.newBuilder()
                .setMount(VolumeCapability.MountVolume.newBuilder().setFsType(fsType))
                .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(Mode.SINGLE_NODE_MULTI_WRITER))
                .build();
    }

    static VolumeCapability block() {
        return VolumeCapability.newBuilder()
                .setBlock(VolumeCapability.BlockVolume.getDefaultInstance())
                .setAccessMode(VolumeCapability.AccessMode.newBuilder().setMode(Mode.SINGLE_NODE_MULTI_WRITER))
                .build();
    }

    NodeStageVolumeRequest stageRequest(String volumeId, VolumeCapability cap) {
        return NodeStageVolumeRequest.newBuilder()
                .setVolumeId(volumeId)
                .setStagingTargetPath(staging(volumeId).toString())
                .setVolumeCapability(cap)
                .build();
    }

    void stage(NodeStageVolumeRequest req) {
        call(node::nodeStageVolume, req);
    }

    void unstage(String volumeId) {
        call(
                node::nodeUnstageVolume,
                NodeUnstageVolumeRequest.newBuilder()
                        .setVolumeId(volumeId)
                        .setStagingTargetPath(staging(volumeId).toString())
                        .build());
    }

    NodePublishVolumeRequest publishRequest(String volumeId, Path target, VolumeCapability cap) {
        return NodePublishVolumeRequest.newBuilder()
                .setVolumeId(volumeId)
                .setStagingTargetPath(staging(volumeId).toString())
                .setTargetPath(target.toString())
                .setVolumeCapability(cap)
                .build();
    }

    void publish(NodePublishVolumeRequest req) {
        call(node::nodePublishVolume, req);
    }

    void unpublish(String volumeId, Path target) {
        call(
                node::nodeUnpublishVolume,
                NodeUnpublishVolumeRequest.newBuilder()
                        .setVolumeId(volumeId)
                        .setTargetPath(target.toString())
                        .build());
    }

    NodeGetVolumeStatsResponse stats(String volumeId, String volumePath) {
        return call(
                node::nodeGetVolumeStats,
                NodeGetVolumeStatsRequest.newBuilder()
                        .setVolumeId(volumeId)
                        .setVolumePath(volumePath)
                        .build());
    }

    NodeExpandVolumeResponse expand(String volumeId, String volumePath) {
        return call(
                node::nodeExpandVolume,
                NodeExpandVolumeRequest.newBuilder()
                        .setVolumeId(volumeId)
                        .setVolumePath(volumePath)
                        .build());
    }

    /** Calls a unary RPC method and returns its one response; what it throws propagates. */
    static <Q, R> R call(BiConsumer<Q, StreamObserver<R>> rpc, Q request) {
        List<R> out = new ArrayList<>();
        rpc.accept(request, new StreamObserver<>() {
            @Override
            public void onNext(R value) {
                out.add(value);
            }

            @Override
            public void onError(Throwable t) {
                throw new AssertionError("the service reports errors by throwing", t);
            }

            @Override
            public void onCompleted() {}
        });
        return out.getFirst();
    }

    @Override
    public void close() {
        agent.close();
    }
}
