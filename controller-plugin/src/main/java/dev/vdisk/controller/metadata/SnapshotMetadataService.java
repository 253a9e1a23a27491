package dev.vdisk.controller.metadata;

import csi.v1.BlockMetadata;
import csi.v1.BlockMetadataType;
import csi.v1.GetMetadataAllocatedRequest;
import csi.v1.GetMetadataAllocatedResponse;
import csi.v1.GetMetadataDeltaRequest;
import csi.v1.GetMetadataDeltaResponse;
import csi.v1.SnapshotMetadataGrpc;
import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.api.agent.BlockExtent;
import dev.vdisk.api.agent.ExtentApi;
import dev.vdisk.controller.agents.NodeAgents;
import dev.vdisk.controller.agents.NodeSnapshot;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * The CSI SnapshotMetadata service (spec v1.12): the allocated extents of a snapshot and the changed extents between
 * two snapshots of one volume, as server streams of VARIABLE_LENGTH tuples ({@link ExtentBatches}), computed by the
 * agent of the snapshots' node page by page while the stream is consumed. Reads only: no lock. A snapshot deleted
 * while its stream runs ends the stream with NOT_FOUND.
 *
 * <p>Every check happens before the first response (spec: block_metadata_type and volume_capacity_bytes are constant
 * in one stream): ids present, offsets and max_results not negative (INVALID_ARGUMENT); the snapshots exist
 * (NOT_FOUND); base and target are of one volume and the target is younger (INVALID_ARGUMENT, "otherwise invalid
 * argument"); starting_offset below the volume size (OUT_OF_RANGE: "The starting offset exceeds the volume size. The
 * caller should specify a starting_offset less than the volume's size"). volume_capacity_bytes is the size of the
 * snapshot read (the target for a delta).
 */
public final class SnapshotMetadataService extends SnapshotMetadataGrpc.SnapshotMetadataImplBase {

    /** How often a stream whose client is not ready looks again. */
    private static final long READY_POLL_NANOS = 1_000_000;

    private final SnapshotStreams streams;

    /** Over the controller's node agents. */
    public SnapshotMetadataService(NodeAgents agents) {
        this(SnapshotStreams.of(agents));
    }

    public SnapshotMetadataService(SnapshotStreams streams) {
        this.streams = streams;
    }

    @Override
    public void getMetadataAllocated(
            GetMetadataAllocatedRequest req, StreamObserver<GetMetadataAllocatedResponse> response) {
        String snapshotId = required("snapshot_id", req.getSnapshotId());
        NodeSnapshot snap = existing(snapshotId);
        long size = snap.snapshot().sizeBytes();
        checkOffset(req.getStartingOffset(), size);
        Iterator<BlockExtent> extents = agent(snap).allocated(snapshotId, req.getStartingOffset());
        stream(
                new ExtentBatches(extents, req.getMaxResults()),
                response,
                batch -> GetMetadataAllocatedResponse.newBuilder()
                        .setBlockMetadataType(BlockMetadataType.VARIABLE_LENGTH)
                        .setVolumeCapacityBytes(size)
                        .addAllBlockMetadata(batch)
                        .build());
    }

    /**
     * Spec: "returns the metadata on the blocks that have changed between a pair of snapshots". The agent's
     * DEALLOCATED extents (data in the base, none in the target) are changed blocks too and go out as such: the
     * target reads zeros there, which is what a backup tool that reads the changed blocks from the target must
     * write over its copy of the base.
     */
    @Override
    public void getMetadataDelta(GetMetadataDeltaRequest req, StreamObserver<GetMetadataDeltaResponse> response) {
        String baseId = required("base_snapshot_id", req.getBaseSnapshotId());
        String targetId = required("target_snapshot_id", req.getTargetSnapshotId());
        NodeSnapshot base = existing(baseId);
        NodeSnapshot target = existing(targetId);
        if (!base.nodeId().equals(target.nodeId())
                || !base.snapshot().sourceVolumeId().equals(target.snapshot().sourceVolumeId())) {
            throw new IllegalArgumentException("base snapshot " + baseId + " (of volume "
                    + base.snapshot().sourceVolumeId() + ") and target snapshot " + targetId + " (of volume "
                    + target.snapshot().sourceVolumeId() + ") are not of the same volume");
        }
        long size = target.snapshot().sizeBytes();
        checkOffset(req.getStartingOffset(), size);
        // the agent refuses a target that is not younger than the base (INVALID_ARGUMENT) before any extent
        Iterator<BlockExtent> extents = agent(target).delta(baseId, targetId, req.getStartingOffset());
        stream(new ExtentBatches(extents, req.getMaxResults()), response, batch -> GetMetadataDeltaResponse.newBuilder()
                .setBlockMetadataType(BlockMetadataType.VARIABLE_LENGTH)
                .setVolumeCapacityBytes(size)
                .addAllBlockMetadata(batch)
                .build());
    }

    /**
     * Sends a response per batch, and one without tuples for a snapshot with none (so the client always learns the
     * type and capacity). Stops early when the client cancels. Flow control: the next batch is computed only when
     * the transport can take it ({@code isReady}); the call runs on a virtual thread, so waiting parks it cheaply
     * and a slow client never makes us buffer the whole stream.
     */
    private static <T> void stream(
            ExtentBatches batches, StreamObserver<T> response, Function<List<BlockMetadata>, T> message) {
        boolean sent = false;
        while (batches.hasNext()) {
            if (response instanceof ServerCallStreamObserver<T> call) {
                while (!call.isReady() && !call.isCancelled()) {
                    LockSupport.parkNanos(READY_POLL_NANOS);
                }
                if (call.isCancelled()) {
                    return;
                }
            }
            response.onNext(message.apply(batches.next()));
            sent = true;
        }
        if (!sent) {
            response.onNext(message.apply(List.of()));
        }
        response.onCompleted();
    }

    private static void checkOffset(long offset, long size) {
        if (offset < 0) {
            throw new IllegalArgumentException("starting_offset must not be negative, got " + offset);
        }
        if (offset >= size) {
            throw new OffsetOutOfRangeException("starting_offset " + offset + " is not below the volume size " + size);
        }
    }

    private NodeSnapshot existing(String snapshotId) {
        return streams.findSnapshot(snapshotId)
                .orElseThrow(
                        () -> new AgentException(AgentReason.NOT_FOUND, "snapshot " + snapshotId + " does not exist"));
    }

    private ExtentApi agent(NodeSnapshot s) {
        return streams.extentsOn(s.nodeId())
                .orElseThrow(() -> new AgentException(
                        AgentReason.NOT_FOUND,
                        "no node agent known for node " + s.nodeId() + ", which holds snapshot "
                                + s.snapshot().snapshotId()));
    }

    private static String required(String field, String value) {
        if (value.isEmpty()) {
            throw new IllegalArgumentException(field + " missing in request");
        }
        return value;
    }
}
