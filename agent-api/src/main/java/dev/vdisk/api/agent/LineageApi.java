package dev.vdisk.api.agent;

import java.util.Optional;

/**
 * Where volumes and snapshots sit in their pool's clone tree, and the space they hold: served by the agent that has
 * the pool open (the cluster mode's status and {@code kubectl vdisk tree} read it), not by the controller's view
 * ({@link PoolAgent} has both).
 */
public interface LineageApi {

    /**
     * The lineage and space of the visible volume or snapshot {@code id}, empty if there is none (hidden snapshots
     * have no ID of their own).
     */
    Optional<AgentLineage> lineage(String id);
}
