package dev.vdisk.node.service;

import csi.v1.CapacityRange;
import csi.v1.NodeExpandVolumeResponse;
import csi.v1.NodeGetVolumeStatsResponse;
import csi.v1.VolumeCapability.AccessMode.Mode;
import csi.v1.VolumeCondition;
import csi.v1.VolumeUsage;
import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.api.agent.PoolCapacity;
import dev.vdisk.node.agent.NodeAgent;
import dev.vdisk.node.agent.StagedVolume;
import dev.vdisk.node.backend.IoCondition;
import dev.vdisk.node.datapath.DataPath.AttachedVolume;
import dev.vdisk.node.host.Filesystems;
import dev.vdisk.node.host.Mounter;
import dev.vdisk.node.host.VolumeHealth;
import dev.vdisk.node.sys.StatVfs;
import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The Node RPCs without locking or field checks: {@link NodeService} checks the required fields and holds the
 * volume's lock around every method here (never used on its own). Each method reads: idempotency check against
 * the recorded staging, then the work, then the answer. Where the spec forces a code, the comment cites it.
 */
final class NodeVolumes {
    /** Below this many writable bytes a condition calls the pool full. */
    private static final long FULL_BELOW = 1 << 20;

    private final NodeAgent agent;

    NodeVolumes(NodeAgent agent) {
        this.agent = agent;
    }

    void stage(String volumeId, Path staging, RequestedCapability cap) throws IOException {
        StagedVolume wanted = new StagedVolume(
                volumeId,
                staging,
                cap.block(),
                cap.fsType(),
                cap.mountFlags(),
                cap.mode().name(),
                Map.of());
        Optional<StagedVolume> existing = agent.staged().get(volumeId);
        if (existing.isPresent()) {
            StagedVolume e = existing.get();
            if (!e.stagingPath().equals(staging)) {
                // spec: "The CO SHALL ensure that there is only one staging_target_path per volume"
                throw new AgentException(
                        AgentReason.FAILED_PRECONDITION,
                        "volume " + volumeId + " is already staged at " + e.stagingPath()
                                + "; one staging_target_path per volume");
            }
            if (!e.sameStagingAs(wanted)) {
                // spec, NodeStageVolume errors: "Volume published but is incompatible" -> ALREADY_EXISTS
                throw new AgentException(
                        AgentReason.ALREADY_EXISTS,
                        "volume " + volumeId + " is staged at " + staging + " as " + describe(e)
                                + ", the request asks for " + describe(wanted));
            }
            Optional<String> broken = agent.abnormal(volumeId);
            if (broken.isPresent()) {
                throw new AgentException(
                        AgentReason.FAILED_PRECONDITION,
                        "volume " + volumeId + " is staged but broken (" + broken.get()
                                + "); NodeUnstageVolume cleans it up");
            }
            return;
        }
        if (!agent.exists(volumeId)) {
            throw new AgentException(AgentReason.NOT_FOUND, "volume " + volumeId + " does not exist on this node");
        }
        if (agent.staged().size() >= agent.config().maxVolumes()) {
            throw Status.RESOURCE_EXHAUSTED
                    .withDescription(agent.staged().size() + " volumes are staged, the most this"
                            + " node takes (--max-volumes " + agent.config().maxVolumes() + ")")
                    .asRuntimeException();
        }
        if (!cap.block() && Mounter.isMountPoint(staging)) {
            throw new AgentException(
                    AgentReason.FAILED_PRECONDITION,
                    "staging_target_path " + staging + " is already a mount point, not of this volume");
        }
        agent.staging().stage(wanted);
        try {
            agent.staged().put(wanted);
        } catch (RuntimeException e) {
            agent.staging().unstage(wanted, false);
            throw e;
        }
    }

    void unstage(String volumeId, Path staging) throws IOException {
        Optional<StagedVolume> existing = agent.staged().get(volumeId);
        if (existing.isEmpty() || !existing.get().stagingPath().equals(staging)) {
            // spec: "If the volume corresponding to the volume_id is not staged to the staging_target_path, the
            // Plugin MUST reply 0 OK"
            return;
        }
        StagedVolume v = existing.get();
        if (!v.targets().isEmpty()) {
            throw new AgentException(
                    AgentReason.FAILED_PRECONDITION,
                    "volume " + volumeId + " is still published at "
                            + v.targets().keySet() + "; NodeUnpublishVolume comes first");
        }
        agent.staging().unstage(v, agent.abnormal(volumeId).isPresent());
        agent.staged().remove(volumeId);
        agent.clearAbnormal(volumeId);
    }

    void publish(String volumeId, Path staging, Path target, RequestedCapability cap, boolean readOnly)
            throws IOException {
        StagedVolume v = stagedOrThrow(volumeId);
        if (!v.stagingPath().equals(staging)) {
            throw new AgentException(
                    AgentReason.FAILED_PRECONDITION,
                    "volume " + volumeId + " is staged at " + v.stagingPath() + ", not at " + staging);
        }
        if (v.block() != cap.block()) {
            throw new IllegalArgumentException("volume " + volumeId + " is staged as a "
                    + (v.block() ? "block" : "mount") + " volume; the request asks for " + cap.accessTypeName());
        }
        Boolean publishedReadOnly = v.targets().get(target);
        if (publishedReadOnly != null) {
            if (publishedReadOnly != (readOnly || v.readOnly())) {
                // spec, NodePublishVolume errors: published at target_path but incompatible -> ALREADY_EXISTS
                throw new AgentException(
                        AgentReason.ALREADY_EXISTS,
                        "volume " + volumeId + " is published at " + target
                                + (publishedReadOnly ? " read-only" : " read-write")
                                + "; the request differs in readonly");
            }
            return;
        }
        Optional<String> broken = agent.abnormal(volumeId);
        if (broken.isPresent()) {
            throw new AgentException(
                    AgentReason.FAILED_PRECONDITION,
                    "volume " + volumeId + " is broken (" + broken.get() + "); unstage it and stage it again");
        }
        if (cap.mode() == Mode.SINGLE_NODE_SINGLE_WRITER
                && !readOnly
                && v.targets().containsValue(false)) {
            // spec, second NodePublishVolume of a non-MULTI_NODE volume at another target -> FAILED_PRECONDITION
            throw new AgentException(
                    AgentReason.FAILED_PRECONDITION,
                    "volume " + volumeId + " has SINGLE_NODE_SINGLE_WRITER"
                            + " access and is already published read-write at "
                            + v.targets().keySet());
        }
        agent.staging().publish(v, target, readOnly);
        try {
            agent.staged().put(v.withTarget(target, readOnly || v.readOnly()));
        } catch (RuntimeException e) {
            agent.staging().unpublish(v, target);
            throw e;
        }
    }

    void unpublish(String volumeId, Path target) throws IOException {
        Optional<StagedVolume> existing = agent.staged().get(volumeId);
        if (existing.isEmpty() || !existing.get().targets().containsKey(target)) {
            // spec: not published at target_path -> 0 OK
            return;
        }
        agent.staging().unpublish(existing.get(), target);
        agent.staged().put(existing.get().withoutTarget(target));
    }

    NodeGetVolumeStatsResponse stats(String volumeId, Path volumePath) throws IOException {
        StagedVolume v = stagedOrNotFound(volumeId);
        checkVolumePath(v, volumePath);
        Optional<String> problem = agent.abnormal(volumeId);
        Optional<AttachedVolume> attached = agent.attached(volumeId);
        if (problem.isEmpty() && attached.isEmpty()) {
            problem = Optional.of("volume " + volumeId + " is staged but not attached");
        }
        if (problem.isEmpty()) {
            problem = VolumeHealth.problem(
                    attached.get().loopNumber(),
                    attached.get().image(),
                    v.block() ? null : v.stagingPath(),
                    v.readOnly());
        }
        if (problem.isEmpty()) {
            problem = agent.attributesProblem(volumeId);
        }
        Optional<IoCondition.Failing> failing = agent.ioFailing(volumeId);
        if (failing.isPresent()) {
            // a failing data path explains a read-only filesystem: say the cause first
            problem =
                    Optional.of(failing.get().what() + " since " + failing.get().since() + "; " + poolState()
                            + problem.map(p -> "; " + p).orElse(""));
        }
        if (problem.isPresent()) {
            return NodeGetVolumeStatsResponse.newBuilder()
                    .setVolumeCondition(
                            VolumeCondition.newBuilder().setAbnormal(true).setMessage(problem.get()))
                    .build();
        }
        // a full pool fails this volume's next new allocation; until one fails, the volume itself is fine
        PoolCapacity pool = agent.capacity();
        String healthy = "volume is healthy" + (full(pool) ? "; " + poolState(pool) : "");
        NodeGetVolumeStatsResponse.Builder out = NodeGetVolumeStatsResponse.newBuilder()
                .setVolumeCondition(
                        VolumeCondition.newBuilder().setAbnormal(false).setMessage(healthy));
        if (v.block()) {
            long bytes = Long.parseLong(Files.readString(
                                    Path.of("/sys/block/loop" + attached.get().loopNumber() + "/size"))
                            .strip())
                    * 512;
            out.addUsage(
                    VolumeUsage.newBuilder().setUnit(VolumeUsage.Unit.BYTES).setTotal(bytes));
        } else {
            StatVfs s = StatVfs.of(volumePath);
            out.addUsage(VolumeUsage.newBuilder()
                    .setUnit(VolumeUsage.Unit.BYTES)
                    .setTotal(s.totalBytes())
                    .setUsed(s.usedBytes())
                    .setAvailable(s.availableBytes()));
            out.addUsage(VolumeUsage.newBuilder()
                    .setUnit(VolumeUsage.Unit.INODES)
                    .setTotal(s.totalInodes())
                    .setUsed(s.usedInodes())
                    .setAvailable(s.freeInodes()));
        }
        return out.build();
    }

    /** The pool's state in a few words, for a failing volume's condition. */
    private String poolState() {
        return poolState(agent.capacity());
    }

    /**
     * Full: a new allocation fails. It reserves data and indirect segments (at most a few hundred KiB), so below
     * {@link #FULL_BELOW} writable bytes the pool is as good as full.
     */
    private static boolean full(PoolCapacity c) {
        return c.availableBytes() < FULL_BELOW;
    }

    private static String poolState(PoolCapacity c) {
        return (full(c) ? "pool full: " : "pool: ") + c.availableBytes() + " of " + c.totalBytes()
                + " bytes writable; free space (delete volumes or snapshots, fstrim) or grow the pool";
    }

    NodeExpandVolumeResponse expand(String volumeId, Path volumePath, CapacityRange range, RequestedCapability cap)
            throws IOException {
        StagedVolume v = stagedOrThrow(volumeId);
        checkVolumePath(v, volumePath);
        if (cap != null && cap.block() != v.block()) {
            throw new IllegalArgumentException("volume " + volumeId + " is staged as " + (v.block() ? "block" : "mount")
                    + "; the request's volume_capability says " + cap.accessTypeName());
        }
        Optional<String> broken = agent.abnormal(volumeId);
        if (broken.isPresent()) {
            throw new AgentException(
                    AgentReason.FAILED_PRECONDITION, "volume " + volumeId + " is broken (" + broken.get() + ")");
        }
        long limit = range.getLimitBytes();
        if (limit > 0 && Math.max(range.getRequiredBytes(), agent.sizeOf(volumeId)) > limit) {
            // spec, NodeExpandVolume errors: "Unsupported capacity" -> OUT_OF_RANGE
            throw Status.OUT_OF_RANGE
                    .withDescription("volume " + volumeId + " would be "
                            + Math.max(range.getRequiredBytes(), agent.sizeOf(volumeId)) + " bytes, above limit_bytes "
                            + limit)
                    .asRuntimeException();
        }
        // Without a Controller (node mode) this is the spec's node-only expansion: the node grows the volume itself.
        // With one, ControllerExpandVolume has grown the vdisk already and this only refreshes the loop's capacity.
        long size = agent.growWithoutLocking(volumeId, range.getRequiredBytes());
        if (!v.block()) {
            Path device = agent.attached(volumeId).orElseThrow().device();
            Filesystems.grow(device, v.stagingPath(), v.fsType());
        }
        return NodeExpandVolumeResponse.newBuilder().setCapacityBytes(size).build();
    }

    private StagedVolume stagedOrThrow(String volumeId) {
        Optional<StagedVolume> v = agent.staged().get(volumeId);
        if (v.isPresent()) {
            return v.get();
        }
        if (!agent.exists(volumeId)) {
            throw new AgentException(AgentReason.NOT_FOUND, "volume " + volumeId + " does not exist on this node");
        }
        // spec: NodeStageVolume MUST be called and return success before any NodePublishVolume
        throw new AgentException(
                AgentReason.FAILED_PRECONDITION,
                "volume " + volumeId + " is not staged on this node;" + " NodeStageVolume comes first");
    }

    private StagedVolume stagedOrNotFound(String volumeId) {
        return agent.staged()
                .get(volumeId)
                .orElseThrow(() -> new AgentException(
                        AgentReason.NOT_FOUND, "volume " + volumeId + " is not staged on this node"));
    }

    /** Spec, NodeGetVolumeStats/NodeExpandVolume: a volume_path where the volume is not -> NOT_FOUND. */
    private static void checkVolumePath(StagedVolume v, Path volumePath) {
        if (!volumePath.equals(v.stagingPath()) && !v.targets().containsKey(volumePath)) {
            throw new AgentException(
                    AgentReason.NOT_FOUND,
                    "volume " + v.volumeId() + " is not at " + volumePath + " (staged at " + v.stagingPath()
                            + ", published at " + v.targets().keySet() + ")");
        }
    }

    private static String describe(StagedVolume v) {
        return (v.block() ? "block" : v.fsType() + " " + v.mountFlags()) + " " + v.accessMode();
    }
}
