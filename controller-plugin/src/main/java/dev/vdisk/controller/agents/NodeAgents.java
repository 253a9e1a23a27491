package dev.vdisk.controller.agents;

import dev.vdisk.api.agent.AgentSnapshot;
import dev.vdisk.api.agent.AgentVolume;
import dev.vdisk.api.agent.VolumeAgent;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;

/**
 * The node agents the controller can reach: node ID &rarr; the {@link VolumeAgent} that owns that node's pool.
 * Implementations: {@link LocalNodeAgents} (standalone: the agent in this process); later one backed by custom
 * resources. {@link #find} and {@link #listVolumes} ask every agent; an implementation with an index (a CR per
 * volume) overrides them.
 */
public interface NodeAgents {

    /** The node IDs with an agent, in order. */
    SortedSet<String> nodeIds();

    /** The agent of {@code nodeId}, empty for a node this directory does not know. */
    Optional<VolumeAgent> agent(String nodeId);

    /** Clones across nodes, when this directory's agents can pull replicas from each other; empty by default. */
    default Optional<RemoteClones> remoteClones() {
        return Optional.empty();
    }

    /** The node that has the volume, and the volume as its agent reports it. */
    default Optional<NodeVolume> find(String volumeId) {
        for (String node : nodeIds()) {
            Optional<AgentVolume> v = agent(node).flatMap(a -> a.getVolume(volumeId));
            if (v.isPresent()) {
                return Optional.of(new NodeVolume(node, v.get()));
            }
        }
        return Optional.empty();
    }

    /** Every volume of every node, sorted by volume ID. */
    default List<NodeVolume> listVolumes() {
        List<NodeVolume> out = new ArrayList<>();
        for (String node : nodeIds()) {
            agent(node).ifPresent(a -> a.listVolumes().forEach(v -> out.add(new NodeVolume(node, v))));
        }
        out.sort(Comparator.comparing(v -> v.volume().volumeId()));
        return out;
    }

    /** The node that has the snapshot, and the snapshot as its agent reports it. */
    default Optional<NodeSnapshot> findSnapshot(String snapshotId) {
        for (String node : nodeIds()) {
            Optional<AgentSnapshot> s = agent(node).flatMap(a -> a.getSnapshot(snapshotId));
            if (s.isPresent()) {
                return Optional.of(new NodeSnapshot(node, s.get()));
            }
        }
        return Optional.empty();
    }

    /** Every snapshot of every node, sorted by snapshot ID. */
    default List<NodeSnapshot> listSnapshots() {
        List<NodeSnapshot> out = new ArrayList<>();
        for (String node : nodeIds()) {
            agent(node).ifPresent(a -> a.listSnapshots().forEach(s -> out.add(new NodeSnapshot(node, s))));
        }
        out.sort(Comparator.comparing(s -> s.snapshot().snapshotId()));
        return out;
    }
}
