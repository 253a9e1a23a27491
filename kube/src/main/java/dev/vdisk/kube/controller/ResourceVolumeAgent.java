package dev.vdisk.kube.controller;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.api.agent.AgentSnapshot;
import dev.vdisk.api.agent.AgentVolume;
import dev.vdisk.api.agent.BlockExtent;
import dev.vdisk.api.agent.PoolCapacity;
import dev.vdisk.api.agent.SplitStatus;
import dev.vdisk.api.agent.VolumeAgent;
import dev.vdisk.controller.service.OperationPendingException;
import dev.vdisk.kube.resource.ResourceKeys;
import dev.vdisk.kube.resource.SplitSpec;
import dev.vdisk.kube.resource.VdiskNode;
import dev.vdisk.kube.resource.VdiskSnapshot;
import dev.vdisk.kube.resource.VdiskVolume;
import dev.vdisk.kube.resource.VdiskVolumeSpec;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.net.HttpURLConnection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's agent as the controller sees it in cluster mode: each call writes the desired state into the
 * resource named after the CSI id and bound to the node (label {@link ResourceKeys#NODE_LABEL}, finalizer
 * {@link ResourceKeys#NODE_AGENT_FINALIZER} set at creation), then waits (bounded, {@link ResourceWait}) until the
 * node agent's status answers that spec generation. A refusal comes back as status.failure and is thrown as the
 * {@link AgentException} a local agent would have thrown. Reads come from status, never from the node.
 *
 * <p>A refused create leaves nothing: the resource is deleted so that a retry starts afresh. A refused change
 * (resize, attributes, split) is reverted in the spec so that the node agent's view and the spec agree again.
 */
final class ResourceVolumeAgent implements VolumeAgent {
    private static final Logger LOG = LoggerFactory.getLogger(ResourceVolumeAgent.class);
    private static final int SPEC_EDIT_ATTEMPTS = 5;

    /** Who asked for a split set through the CSI seam (CreateVolume's splitOnClone, or the CSI layer). */
    static final String REQUESTED_BY = "CSI";

    private final String node;
    private final ResourceReads reads;
    private final ResourceWait wait;
    private final SnapshotExtents extents;
    private final NodeResourceRequests requests;
    private final ResourceSnapshots snapshots;

    ResourceVolumeAgent(String node, ResourceReads reads, SnapshotExtents extents) {
        this.node = Objects.requireNonNull(node);
        this.reads = reads;
        this.wait = reads.waiter();
        this.extents = extents;
        this.requests = new NodeResourceRequests(node, wait);
        this.snapshots = new ResourceSnapshots(node, reads, requests);
    }

    String node() {
        return node;
    }

    // ---------------------------------------------------------------- volumes

    @Override
    public AgentVolume createVolume(String volumeId, long sizeBytes, Map<String, String> attributes) {
        return ensureVolume(
                volumeId, new VdiskVolumeSpec(node, roundUp(sizeBytes), null, new TreeMap<>(attributes), null));
    }

    @Override
    public AgentVolume cloneVolume(
            String newVolumeId, String snapshotId, long sizeBytes, Map<String, String> attributes) {
        return ensureVolume(
                newVolumeId,
                new VdiskVolumeSpec(node, roundUp(sizeBytes), snapshotId, new TreeMap<>(attributes), null));
    }

    /**
     * A clone of {@code snapshotId}, which lives on {@code sourceNode}, on this node: the node agent pulls a replica
     * of the snapshot first (restore anywhere). The wait for it is the usual one; a pull that outlasts it answers
     * ABORTED, and the retry finds the same request.
     */
    AgentVolume cloneFromNode(
            String sourceNode, String newVolumeId, String snapshotId, long sizeBytes, Map<String, String> attributes) {
        return ensureVolume(
                newVolumeId,
                new VdiskVolumeSpec(node, roundUp(sizeBytes), snapshotId, new TreeMap<>(attributes), null, sourceNode));
    }

    private AgentVolume ensureVolume(String id, VdiskVolumeSpec spec) {
        Resource<VdiskVolume> r = reads.volumes().withName(id);
        VdiskVolume v = requests.existingOrCreated(r, id, "volume", () -> {
            VdiskVolume n = new VdiskVolume();
            n.setMetadata(requests.meta(id, Map.of()));
            n.setSpec(spec);
            return n;
        });
        VdiskVolumeSpec had = v.getSpec();
        if (!had.nodeName().equals(node)) {
            throw new OperationPendingException("volume " + id + " is already asked for on node " + had.nodeName()
                    + ", not " + node + "; retry to pick that up");
        }
        if (had.sizeBytes() != spec.sizeBytes() || !Objects.equals(had.sourceSnapshotId(), spec.sourceSnapshotId())) {
            throw new AgentException(
                    AgentReason.ALREADY_EXISTS,
                    "volume " + id + " exists with " + had.sizeBytes()
                            + " bytes from "
                            + Optional.ofNullable(had.sourceSnapshotId()).orElse("nothing") + ", not "
                            + spec.sizeBytes() + " bytes from "
                            + Optional.ofNullable(spec.sourceSnapshotId()).orElse("nothing"));
        }
        VdiskVolume done = settledVolume(r, id);
        if (ResourceReads.refused(done) && !ResourceReads.inPool(done)) {
            // nothing in the pool: drop the request, so a retry asks afresh instead of reading this refusal forever
            r.delete();
            LOG.info(
                    "volume {}: node {} refused it ({}), request deleted",
                    id,
                    node,
                    done.getStatus().failure().reason());
            throw AgentViews.refusal(done.getStatus().failure(), "volume " + id);
        }
        LOG.info(
                "volume {}: ready on node {}, {} bytes",
                id,
                node,
                done.getStatus().sizeBytes());
        return AgentViews.volume(done);
    }

    @Override
    public AgentVolume resizeVolume(String volumeId, long newSizeBytes) {
        long size = roundUp(newSizeBytes);
        VdiskVolume v = present(volumeId);
        if (v.getSpec().sizeBytes() >= size && ResourceReads.settled(v) && !ResourceReads.refused(v)) {
            return AgentViews.volume(v);
        }
        long before = v.getSpec().sizeBytes();
        return change(
                volumeId,
                s -> withSize(s, Math.max(size, s.sizeBytes())),
                s -> withSize(s, before),
                "resize to " + size + " bytes");
    }

    @Override
    public AgentVolume updateAttributes(String volumeId, Map<String, String> attributes) {
        VdiskVolume v = present(volumeId);
        Map<String, String> before =
                v.getSpec().attributes() == null ? Map.of() : v.getSpec().attributes();
        Map<String, String> merged = new TreeMap<>(before);
        merged.putAll(attributes);
        if (merged.equals(before) && ResourceReads.settled(v) && !ResourceReads.refused(v)) {
            return AgentViews.volume(v);
        }
        return change(
                volumeId,
                s -> new VdiskVolumeSpec(
                        s.nodeName(), s.sizeBytes(), s.sourceSnapshotId(), merged, s.split(), s.sourceNodeName()),
                s -> new VdiskVolumeSpec(
                        s.nodeName(),
                        s.sizeBytes(),
                        s.sourceSnapshotId(),
                        new TreeMap<>(before),
                        s.split(),
                        s.sourceNodeName()),
                "attributes " + attributes.keySet());
    }

    /** Writes the spec change, waits for the answer; a refusal reverts the change (new generation) and is thrown. */
    private AgentVolume change(
            String id, UnaryOperator<VdiskVolumeSpec> to, UnaryOperator<VdiskVolumeSpec> back, String what) {
        Resource<VdiskVolume> r = reads.volumes().withName(id);
        editSpec(id, r, to);
        VdiskVolume done = settledVolume(r, id);
        if (ResourceReads.refused(done)) {
            editSpec(id, r, back);
            LOG.info(
                    "volume {}: node {} refused {} ({}), spec reverted",
                    id,
                    node,
                    what,
                    done.getStatus().failure().reason());
            throw AgentViews.refusal(done.getStatus().failure(), "volume " + id + ": " + what);
        }
        LOG.info("volume {}: {} done on node {}", id, what, node);
        return AgentViews.volume(done);
    }

    /**
     * Edits the spec. A 409 means a write came between the edit's read and its write, most often the node agent's
     * status write: the edit reads again and reapplies {@code f} (a function of the spec it reads), a few times.
     */
    private static void editSpec(String id, Resource<VdiskVolume> r, UnaryOperator<VdiskVolumeSpec> f) {
        for (int attempt = 1; ; attempt++) {
            try {
                r.edit(v -> {
                    v.setSpec(f.apply(v.getSpec()));
                    return v;
                });
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != HttpURLConnection.HTTP_CONFLICT || attempt == SPEC_EDIT_ATTEMPTS) {
                    throw e;
                }
                LOG.debug("volume {}: spec edit met a concurrent write (409), attempt {}", id, attempt);
            }
        }
    }

    /**
     * Asks for the deletion and waits (bounded) until the node agent has removed the volume from its pool. Past the
     * wait it returns all the same: the finalizer keeps the resource until the agent has done it, so a node that is
     * down loses nothing, and a retry finds nothing left to delete.
     */
    @Override
    public void deleteVolume(String volumeId) {
        Resource<VdiskVolume> r = reads.volumes().withName(volumeId);
        VdiskVolume v = r.get();
        if (v == null) {
            return;
        }
        if (!ResourceWait.terminating(v)) {
            if (v.getStatus() != null && v.getStatus().staged()) {
                throw new AgentException(
                        AgentReason.FAILED_PRECONDITION,
                        "volume " + volumeId + " is staged on node " + node + "; unstage it before deleting it");
            }
            r.delete();
            LOG.info("volume {}: deletion asked of node {}", volumeId, node);
        }
        requests.awaitGone(r, "volume " + volumeId);
    }

    @Override
    public Optional<AgentVolume> getVolume(String volumeId) {
        return reads.volume(volumeId).filter(requests::mine).map(AgentViews::volume);
    }

    @Override
    public List<AgentVolume> listVolumes() {
        return reads.volumesIn(Optional.of(node)).stream()
                .map(AgentViews::volume)
                .toList();
    }

    @Override
    public PoolCapacity capacity() {
        VdiskNode n = reads.nodes().withName(node).get();
        return n == null ? new PoolCapacity(0, 0, 0) : AgentViews.capacity(n);
    }

    // ---------------------------------------------------------------- snapshots

    @Override
    public AgentSnapshot createSnapshot(String snapshotId, String sourceVolumeId) {
        return snapshots.create(snapshotId, sourceVolumeId);
    }

    @Override
    public List<AgentSnapshot> createSnapshotGroup(String groupId, Map<String, String> snapshotIdByVolumeId) {
        return snapshots.createGroup(groupId, snapshotIdByVolumeId);
    }

    @Override
    public void deleteSnapshot(String snapshotId) {
        snapshots.delete(snapshotId);
    }

    @Override
    public Optional<AgentSnapshot> getSnapshot(String snapshotId) {
        return snapshots.get(snapshotId);
    }

    @Override
    public List<AgentSnapshot> listSnapshots() {
        return snapshots.list();
    }

    @Override
    public Iterator<BlockExtent> allocated(String snapshotId, long startOffset) {
        return extents.allocated(node, snapshotId, startOffset);
    }

    @Override
    public Iterator<BlockExtent> delta(String baseSnapshotId, String targetSnapshotId, long startOffset) {
        return extents.delta(node, baseSnapshotId, targetSnapshotId, startOffset);
    }

    // ---------------------------------------------------------------- splits

    @Override
    public SplitStatus startSplit(String volumeId, String mode, long rateBytesPerSecond) {
        VdiskVolume v = present(volumeId);
        SplitSpec wanted = new SplitSpec(mode, rateBytesPerSecond, false, REQUESTED_BY);
        SplitSpec before = v.getSpec().split();
        boolean same = before != null && !before.cancel() && before.mode().equals(mode);
        if (!same || !ResourceReads.settled(v) || ResourceReads.refused(v)) {
            change(volumeId, s -> withSplit(s, wanted), s -> withSplit(s, before), mode + " split");
        }
        return splitStatus(volumeId)
                .orElseGet(() -> new SplitStatus(volumeId, mode, "QUEUED", 0, 0, 0, 0, 0, -1, "", true));
    }

    @Override
    public Optional<SplitStatus> splitStatus(String volumeId) {
        VdiskVolume v = reads.volumes().withName(volumeId).get();
        if (v == null || v.getStatus() == null || v.getStatus().split() == null) {
            return Optional.empty();
        }
        return Optional.of(AgentViews.split(volumeId, v.getStatus().split()));
    }

    @Override
    public void cancelSplit(String volumeId) {
        VdiskVolume v = reads.volumes().withName(volumeId).get();
        if (v == null
                || ResourceWait.terminating(v)
                || v.getSpec().split() == null
                || v.getSpec().split().cancel()) {
            return;
        }
        SplitSpec s = v.getSpec().split();
        change(
                volumeId,
                x -> withSplit(x, new SplitSpec(s.mode(), s.rateBytesPerSecond(), true, s.requestedBy())),
                x -> withSplit(x, s),
                "split cancel");
    }

    @Override
    public List<SplitStatus> splits() {
        return reads.volumesIn(Optional.of(node)).stream()
                .filter(v -> v.getStatus().split() != null)
                .map(v -> AgentViews.split(ResourceReads.name(v), v.getStatus().split()))
                .toList();
    }

    /**
     * A volume's from its status. A snapshot's is not in its status (VdiskSnapshotStatus has no chainDepth yet): it
     * is taken as its source volume's current depth, which is exact unless the source was split after the snapshot
     * (then it is lower than the truth), and 0 when the source is gone.
     */
    @Override
    public int chainDepth(String id) {
        Optional<VdiskVolume> volume = reads.volume(id);
        if (volume.isPresent()) {
            return volume.get().getStatus().chainDepth();
        }
        VdiskSnapshot s = reads.snapshot(id)
                .orElseThrow(() -> new AgentException(AgentReason.NOT_FOUND, "no volume or snapshot " + id));
        return reads.volume(s.getSpec().sourceVolumeId())
                .map(v -> v.getStatus().chainDepth())
                .orElse(0);
    }

    // ---------------------------------------------------------------- helpers

    private VdiskVolume present(String id) {
        VdiskVolume v = reads.volumes().withName(id).get();
        if (v == null || ResourceWait.terminating(v) || !ResourceReads.inPool(v)) {
            throw new AgentException(AgentReason.NOT_FOUND, "volume " + id + " does not exist");
        }
        return v;
    }

    private VdiskVolume settledVolume(Resource<VdiskVolume> r, String id) {
        VdiskVolume done = wait.until(r, ResourceReads::settled, "volume " + id);
        if (done == null || ResourceWait.terminating(done)) {
            throw new OperationPendingException("volume " + id + " is being deleted; retry once it is gone");
        }
        return done;
    }

    private static VdiskVolumeSpec withSize(VdiskVolumeSpec s, long size) {
        return new VdiskVolumeSpec(
                s.nodeName(), size, s.sourceSnapshotId(), s.attributes(), s.split(), s.sourceNodeName());
    }

    private static VdiskVolumeSpec withSplit(VdiskVolumeSpec s, SplitSpec split) {
        return new VdiskVolumeSpec(
                s.nodeName(), s.sizeBytes(), s.sourceSnapshotId(), s.attributes(), split, s.sourceNodeName());
    }

    private static long roundUp(long size) {
        long g = VolumeAgent.SIZE_GRANULARITY;
        return (size + g - 1) / g * g;
    }
}
