package dev.vdisk.controller.agents;

import dev.vdisk.api.agent.VolumeAgent;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;

/** Standalone mode: the one agent running in this process, known under this node's ID. */
public record LocalNodeAgents(String nodeId, VolumeAgent agent) implements NodeAgents {

    public LocalNodeAgents {
        Objects.requireNonNull(nodeId);
        Objects.requireNonNull(agent);
    }

    @Override
    public SortedSet<String> nodeIds() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(List.of(nodeId)));
    }

    @Override
    public Optional<VolumeAgent> agent(String node) {
        return node.equals(nodeId) ? Optional.of(agent) : Optional.empty();
    }
}
