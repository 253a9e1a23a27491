package dev.vdisk.controller.service;

import dev.vdisk.api.agent.VolumeAgent;
import dev.vdisk.controller.agents.NodeAgents;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/** Several in-memory agents by node ID. */
record Agents(Map<String, MemoryAgent> byNode) implements NodeAgents {
    static Agents of(Object... nodesAndPoolSizes) {
        Map<String, MemoryAgent> m = new TreeMap<>();
        for (int i = 0; i < nodesAndPoolSizes.length; i += 2) {
            m.put((String) nodesAndPoolSizes[i], new MemoryAgent((Long) nodesAndPoolSizes[i + 1]));
        }
        return new Agents(m);
    }

    @Override
    public SortedSet<String> nodeIds() {
        return new TreeSet<>(byNode.keySet());
    }

    @Override
    public Optional<VolumeAgent> agent(String nodeId) {
        return Optional.ofNullable(byNode.get(nodeId));
    }
}
