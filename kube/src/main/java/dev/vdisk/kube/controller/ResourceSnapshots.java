package dev.vdisk.kube.controller;

import dev.vdisk.api.agent.AgentException;
import dev.vdisk.api.agent.AgentReason;
import dev.vdisk.api.agent.AgentSnapshot;
import dev.vdisk.controller.service.OperationPendingException;
import dev.vdisk.kube.resource.ResourceKeys;
import dev.vdisk.kube.resource.ResourcePhase;
import dev.vdisk.kube.resource.VdiskGroupSnapshot;
import dev.vdisk.kube.resource.VdiskGroupSnapshotSpec;
import dev.vdisk.kube.resource.VdiskSnapshot;
import dev.vdisk.kube.resource.VdiskSnapshotSpec;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's snapshots and group snapshots as the controller sees them in cluster mode: {@link VdiskSnapshot} and
 * {@link VdiskGroupSnapshot} resources bound to the node, answered by its agent in their status. Called by
 * {@link ResourceVolumeAgent} on the caller's thread.
 */
final class ResourceSnapshots {
    private static final Logger LOG = LoggerFactory.getLogger(ResourceSnapshots.class);

    /** Label of a group snapshot's member snapshots: the group ID, so the group resource goes with its last member. */
    static final String GROUP_LABEL = ResourceKeys.GROUP + "/group";

    private final String node;
    private final ResourceReads reads;
    private final ResourceWait wait;
    private final NodeResourceRequests requests;

    ResourceSnapshots(String node, ResourceReads reads, NodeResourceRequests requests) {
        this.node = node;
        this.reads = reads;
        this.wait = reads.waiter();
        this.requests = requests;
    }

    AgentSnapshot create(String snapshotId, String sourceVolumeId) {
        return ensureSnapshot(snapshotId, sourceVolumeId, Map.of());
    }

    private AgentSnapshot ensureSnapshot(String id, String source, Map<String, String> labels) {
        Resource<VdiskSnapshot> r = reads.snapshots().withName(id);
        VdiskSnapshot s = requests.existingOrCreated(r, id, "snapshot", () -> {
            VdiskSnapshot n = new VdiskSnapshot();
            n.setMetadata(requests.meta(id, labels));
            n.setSpec(new VdiskSnapshotSpec(node, source));
            return n;
        });
        if (!s.getSpec().sourceVolumeId().equals(source)
                || !s.getSpec().nodeName().equals(node)) {
            throw new AgentException(
                    AgentReason.ALREADY_EXISTS,
                    "snapshot " + id + " exists of volume " + s.getSpec().sourceVolumeId() + " on node "
                            + s.getSpec().nodeName() + ", not of " + source);
        }
        VdiskSnapshot done = wait.until(r, ResourceReads::settled, "snapshot " + id);
        if (done == null || ResourceWait.terminating(done)) {
            throw new OperationPendingException("snapshot " + id + " was deleted while being taken; retry");
        }
        if (done.getStatus().phase() == ResourcePhase.Failed && done.getStatus().failure() != null) {
            r.delete();
            LOG.info(
                    "snapshot {}: node {} refused it ({}), request deleted",
                    id,
                    node,
                    done.getStatus().failure().reason());
            throw AgentViews.refusal(done.getStatus().failure(), "snapshot " + id);
        }
        LOG.info("snapshot {}: taken on node {} of volume {}", id, node, source);
        return AgentViews.snapshot(done);
    }

    /**
     * The group resource first (the node agent takes every member at one instant), then one snapshot resource per
     * member, which the agent answers from the snapshots the group took.
     */
    List<AgentSnapshot> createGroup(String groupId, Map<String, String> snapshotIdByVolumeId) {
        Resource<VdiskGroupSnapshot> r = reads.groups().withName(groupId);
        VdiskGroupSnapshot g = requests.existingOrCreated(r, groupId, "group snapshot", () -> {
            VdiskGroupSnapshot n = new VdiskGroupSnapshot();
            n.setMetadata(requests.meta(groupId, Map.of()));
            n.setSpec(new VdiskGroupSnapshotSpec(node, new TreeMap<>(snapshotIdByVolumeId)));
            return n;
        });
        if (!g.getSpec().members().equals(snapshotIdByVolumeId)
                || !g.getSpec().nodeName().equals(node)) {
            throw new AgentException(
                    AgentReason.ALREADY_EXISTS,
                    "group snapshot " + groupId + " exists of " + g.getSpec().members() + " on node "
                            + g.getSpec().nodeName());
        }
        VdiskGroupSnapshot done = wait.until(r, ResourceReads::settled, "group snapshot " + groupId);
        if (done == null || ResourceWait.terminating(done)) {
            throw new OperationPendingException("group snapshot " + groupId + " was deleted while being taken; retry");
        }
        if (done.getStatus().phase() == ResourcePhase.Failed && done.getStatus().failure() != null) {
            r.delete();
            throw AgentViews.refusal(done.getStatus().failure(), "group snapshot " + groupId);
        }
        List<AgentSnapshot> out = new ArrayList<>();
        snapshotIdByVolumeId.forEach(
                (volume, snapshot) -> out.add(ensureSnapshot(snapshot, volume, Map.of(GROUP_LABEL, groupId))));
        LOG.info("group snapshot {}: {} members taken on node {}", groupId, out.size(), node);
        return out;
    }

    /** As {@link ResourceVolumeAgent#deleteVolume}; the group resource of the last member of a group snapshot goes too. */
    void delete(String snapshotId) {
        Resource<VdiskSnapshot> r = reads.snapshots().withName(snapshotId);
        VdiskSnapshot s = r.get();
        if (s == null) {
            return;
        }
        if (!ResourceWait.terminating(s)) {
            r.delete();
            LOG.info("snapshot {}: deletion asked of node {}", snapshotId, node);
        }
        String group = s.getMetadata().getLabels() == null
                ? null
                : s.getMetadata().getLabels().get(GROUP_LABEL);
        if (group != null
                && reads.snapshots().withLabel(GROUP_LABEL, group).list().getItems().stream()
                        .allMatch(ResourceWait::terminating)) {
            reads.groups().withName(group).delete();
            LOG.info("group snapshot {}: its last member is deleted, so is it", group);
        }
        requests.awaitGone(r, "snapshot " + snapshotId);
    }

    Optional<AgentSnapshot> get(String snapshotId) {
        return reads.snapshot(snapshotId).filter(requests::mine).map(AgentViews::snapshot);
    }

    List<AgentSnapshot> list() {
        return reads.snapshotsIn(Optional.of(node)).stream()
                .map(AgentViews::snapshot)
                .toList();
    }
}
