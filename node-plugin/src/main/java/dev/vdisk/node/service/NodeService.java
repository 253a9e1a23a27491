package dev.vdisk.node.service;

import csi.v1.NodeExpandVolumeRequest;
import csi.v1.NodeExpandVolumeResponse;
import csi.v1.NodeGetCapabilitiesRequest;
import csi.v1.NodeGetCapabilitiesResponse;
import csi.v1.NodeGetInfoRequest;
import csi.v1.NodeGetInfoResponse;
import csi.v1.NodeGetVolumeStatsRequest;
import csi.v1.NodeGetVolumeStatsResponse;
import csi.v1.NodeGrpc;
import csi.v1.NodePublishVolumeRequest;
import csi.v1.NodePublishVolumeResponse;
import csi.v1.NodeServiceCapability;
import csi.v1.NodeStageVolumeRequest;
import csi.v1.NodeStageVolumeResponse;
import csi.v1.NodeUnpublishVolumeRequest;
import csi.v1.NodeUnpublishVolumeResponse;
import csi.v1.NodeUnstageVolumeRequest;
import csi.v1.NodeUnstageVolumeResponse;
import csi.v1.Topology;
import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.engine.error.EngineException;
import dev.vdisk.node.agent.EngineFailures;
import dev.vdisk.node.agent.NodeAgent;
import dev.vdisk.node.host.KubeletPaths;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The CSI Node service (spec v1.12). Every RPC reads in one order: required fields ("{@code <field>} missing in
 * request", INVALID_ARGUMENT; staging and target paths checked against the kubelet directory, a volume_path only
 * looked up among the volume's paths), the volume's lock, then
 * {@link NodeVolumes} (idempotency check, work, response). Errors are thrown; csi-server's StatusMapper gives them
 * their codes.
 */
public final class NodeService extends NodeGrpc.NodeImplBase {
    /** The topology key NodeGetInfo reports: volumes are reachable from their own node only. */
    public static final String TOPOLOGY_KEY = "topology.vdisk.csi.dev/node";

    private static final NodeGetCapabilitiesResponse CAPABILITIES = NodeGetCapabilitiesResponse.newBuilder()
            .addAllCapabilities(List.of(
                    rpc(NodeServiceCapability.RPC.Type.STAGE_UNSTAGE_VOLUME),
                    rpc(NodeServiceCapability.RPC.Type.GET_VOLUME_STATS),
                    rpc(NodeServiceCapability.RPC.Type.EXPAND_VOLUME),
                    rpc(NodeServiceCapability.RPC.Type.VOLUME_CONDITION),
                    rpc(NodeServiceCapability.RPC.Type.SINGLE_NODE_MULTI_WRITER)))
            .build();

    private final NodeAgent agent;
    private final KubeletPaths paths;
    private final NodeVolumes volumes;

    public NodeService(NodeAgent agent) {
        this.agent = agent;
        this.paths = new KubeletPaths(agent.config().kubeletDir());
        this.volumes = new NodeVolumes(agent);
    }

    @Override
    public void nodeStageVolume(NodeStageVolumeRequest req, StreamObserver<NodeStageVolumeResponse> response) {
        String volumeId = required("volume_id", req.getVolumeId());
        Path staging =
                paths.resolve("staging_target_path", required("staging_target_path", req.getStagingTargetPath()));
        if (!req.hasVolumeCapability()) {
            throw new IllegalArgumentException("volume_capability missing in request");
        }
        RequestedCapability cap = RequestedCapability.of(
                req.getVolumeCapability(),
                req.getVolumeContextMap().getOrDefault(RequestedCapability.CONTEXT_FS_TYPE, ""));
        try (var held = agent.locks().lock(volumeId)) {
            run(() -> volumes.stage(volumeId, staging, cap));
        }
        reply(response, NodeStageVolumeResponse.getDefaultInstance());
    }

    @Override
    public void nodeUnstageVolume(NodeUnstageVolumeRequest req, StreamObserver<NodeUnstageVolumeResponse> response) {
        String volumeId = required("volume_id", req.getVolumeId());
        Path staging =
                paths.resolve("staging_target_path", required("staging_target_path", req.getStagingTargetPath()));
        try (var held = agent.locks().lock(volumeId)) {
            run(() -> volumes.unstage(volumeId, staging));
        }
        reply(response, NodeUnstageVolumeResponse.getDefaultInstance());
    }

    @Override
    public void nodePublishVolume(NodePublishVolumeRequest req, StreamObserver<NodePublishVolumeResponse> response) {
        String volumeId = required("volume_id", req.getVolumeId());
        Path target = paths.resolve("target_path", required("target_path", req.getTargetPath()));
        if (!req.hasVolumeCapability()) {
            throw new IllegalArgumentException("volume_capability missing in request");
        }
        RequestedCapability cap = RequestedCapability.of(req.getVolumeCapability());
        if (req.getStagingTargetPath().isEmpty()) {
            // spec, NodePublishVolume errors: "Staging target path not set" (STAGE_UNSTAGE_VOLUME advertised)
            // -> FAILED_PRECONDITION, not INVALID_ARGUMENT
            throw new AgentException(
                    AgentReason.FAILED_PRECONDITION,
                    "staging_target_path missing in request; this plugin" + " stages volumes (STAGE_UNSTAGE_VOLUME)");
        }
        Path staging = paths.resolve("staging_target_path", req.getStagingTargetPath());
        if (target.equals(staging)) {
            throw new IllegalArgumentException("target_path and staging_target_path are the same: " + target);
        }
        try (var held = agent.locks().lock(volumeId)) {
            run(() -> volumes.publish(volumeId, staging, target, cap, req.getReadonly()));
        }
        reply(response, NodePublishVolumeResponse.getDefaultInstance());
    }

    @Override
    public void nodeUnpublishVolume(
            NodeUnpublishVolumeRequest req, StreamObserver<NodeUnpublishVolumeResponse> response) {
        String volumeId = required("volume_id", req.getVolumeId());
        Path target = paths.resolve("target_path", required("target_path", req.getTargetPath()));
        try (var held = agent.locks().lock(volumeId)) {
            run(() -> volumes.unpublish(volumeId, target));
        }
        reply(response, NodeUnpublishVolumeResponse.getDefaultInstance());
    }

    @Override
    public void nodeGetVolumeStats(NodeGetVolumeStatsRequest req, StreamObserver<NodeGetVolumeStatsResponse> response) {
        String volumeId = required("volume_id", req.getVolumeId());
        // spec: a volume_path where the volume is not staged or published -> NOT_FOUND, even a relative one
        Path volumePath = paths.normalise(required("volume_path", req.getVolumePath()));
        NodeGetVolumeStatsResponse out;
        try (var held = agent.locks().lock(volumeId)) {
            out = call(() -> volumes.stats(volumeId, volumePath));
        }
        reply(response, out);
    }

    @Override
    public void nodeExpandVolume(NodeExpandVolumeRequest req, StreamObserver<NodeExpandVolumeResponse> response) {
        String volumeId = required("volume_id", req.getVolumeId());
        Path volumePath = paths.normalise(required("volume_path", req.getVolumePath())); // as for stats
        if (req.getCapacityRange().getRequiredBytes() < 0
                || req.getCapacityRange().getLimitBytes() < 0) {
            throw new IllegalArgumentException("capacity_range must not be negative");
        }
        RequestedCapability cap = req.hasVolumeCapability() ? RequestedCapability.of(req.getVolumeCapability()) : null;
        NodeExpandVolumeResponse out;
        try (var held = agent.locks().lock(volumeId)) {
            out = call(() -> volumes.expand(volumeId, volumePath, req.getCapacityRange(), cap));
        }
        reply(response, out);
    }

    @Override
    public void nodeGetCapabilities(
            NodeGetCapabilitiesRequest req, StreamObserver<NodeGetCapabilitiesResponse> response) {
        reply(response, CAPABILITIES);
    }

    @Override
    public void nodeGetInfo(NodeGetInfoRequest req, StreamObserver<NodeGetInfoResponse> response) {
        reply(
                response,
                NodeGetInfoResponse.newBuilder()
                        .setNodeId(agent.config().nodeId())
                        .setMaxVolumesPerNode(agent.config().maxVolumes())
                        .setAccessibleTopology(Topology.newBuilder()
                                .putSegments(TOPOLOGY_KEY, agent.config().nodeId()))
                        .build());
    }

    private static String required(String field, String value) {
        if (value.isEmpty()) {
            throw new IllegalArgumentException(field + " missing in request");
        }
        return value;
    }

    private static NodeServiceCapability rpc(NodeServiceCapability.RPC.Type type) {
        return NodeServiceCapability.newBuilder()
                .setRpc(NodeServiceCapability.RPC.newBuilder().setType(type))
                .build();
    }

    private static <T> void reply(StreamObserver<T> response, T message) {
        response.onNext(message);
        response.onCompleted();
    }

    private interface Work {
        void run() throws IOException;
    }

    private interface Query<T> {
        T get() throws IOException;
    }

    /**
     * The service's boundary for failures: host I/O failures surface as unchecked, so StatusMapper answers INTERNAL
     * with their message; the engine's become the agent API's ({@link EngineFailures}), which StatusMapper maps by
     * reason.
     */
    private static void run(Work work) {
        call(() -> {
            work.run();
            return null;
        });
    }

    private static <T> T call(Query<T> query) {
        try {
            return query.get();
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        } catch (EngineException e) {
            throw EngineFailures.translate(e);
        }
    }
}
