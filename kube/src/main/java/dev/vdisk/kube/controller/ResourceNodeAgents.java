package dev.vdisk.kube.controller;

import dev.vdisk.api.agent.VolumeAgent;
import dev.vdisk.controller.agents.NodeAgents;
import dev.vdisk.controller.agents.NodeSnapshot;
import dev.vdisk.controller.agents.NodeVolume;
import dev.vdisk.controller.agents.RemoteClones;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Cluster mode's {@link NodeAgents}: the nodes are the {@code VdiskNode} resources their agents publish, each agent
 * is a {@link ResourceVolumeAgent} that talks to it through resources bound to its node, and lookups read the
 * resources by name ({@link ResourceReads}) instead of asking every agent. The controller's services run over it
 * unchanged.
 */
public final class ResourceNodeAgents implements NodeAgents {

    /** How long a CSI call waits for a node agent's answer by default. */
    public static final Duration DEFAULT_WAIT = Duration.ofSeconds(60);

    private final ResourceReads reads;
    private final SnapshotExtents extents;

    public ResourceNodeAgents(KubernetesClient client, Duration wait, SnapshotExtents extents) {
        this.reads = new ResourceReads(client, new ResourceWait(wait));
        this.extents = extents;
    }

    @Override
    public SortedSet<String> nodeIds() {
        return reads.nodes().list().getItems().stream()
                .map(ResourceReads::name)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** Any node that has published its VdiskNode (one that is down keeps it: its requests wait for it). */
    @Override
    public Optional<VolumeAgent> agent(String nodeId) {
        if (reads.nodes().withName(nodeId).get() == null) {
            return Optional.empty();
        }
        return Optional.of(new ResourceVolumeAgent(nodeId, reads, extents));
    }

    /** Node agents pull replicas from each other (their VdiskVolume's {@code sourceNodeName}). */
    @Override
    public Optional<RemoteClones> remoteClones() {
        return Optional.of((target, source, volumeId, snapshotId, size, attributes) -> new ResourceVolumeAgent(
                        target, reads, extents)
                .cloneFromNode(source, volumeId, snapshotId, size, attributes));
    }

    @Override
    public Optional<NodeVolume> find(String volumeId) {
        return reads.volume(volumeId).map(v -> new NodeVolume(v.getSpec().nodeName(), AgentViews.volume(v)));
    }

    @Override
    public List<NodeVolume> listVolumes() {
        return reads.volumesIn(Optional.empty()).stream()
                .map(v -> new NodeVolume(v.getSpec().nodeName(), AgentViews.volume(v)))
                .toList();
    }

    @Override
    public Optional<NodeSnapshot> findSnapshot(String snapshotId) {
        return reads.snapshot(snapshotId).map(s -> new NodeSnapshot(s.getSpec().nodeName(), AgentViews.snapshot(s)));
    }

    @Override
    public List<NodeSnapshot> listSnapshots() {
        return reads.snapshotsIn(Optional.empty()).stream()
                .map(s -> new NodeSnapshot(s.getSpec().nodeName(), AgentViews.snapshot(s)))
                .toList();
    }
}
