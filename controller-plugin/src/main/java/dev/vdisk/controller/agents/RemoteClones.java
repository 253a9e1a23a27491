package dev.vdisk.controller.agents;

import dev.vdisk.api.agent.AgentVolume;
import java.util.Map;

/**
 * Clones across nodes (restore anywhere): a volume on one node from a snapshot that lives on another, made from a
 * replica of the snapshot that the target node's agent pulls from the source node's agent. Offered by a {@link
 * NodeAgents} whose agents can reach each other (cluster mode); standalone mode has one node and none.
 */
public interface RemoteClones {

    /**
     * Creates volume {@code newVolumeId} on {@code targetNode} as a clone of {@code snapshotId}, which lives on
     * {@code sourceNode}; idempotent like {@link dev.vdisk.api.agent.VolumeApi#cloneVolume}.
     *
     * @throws dev.vdisk.api.agent.AgentException as a clone would, and NOT_FOUND when the source snapshot went away
     *     during the pull
     */
    AgentVolume cloneFromNode(
            String targetNode,
            String sourceNode,
            String newVolumeId,
            String snapshotId,
            long sizeBytes,
            Map<String, String> attributes);
}
