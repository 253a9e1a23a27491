package dev.vdisk.kube.controller;

import dev.vdisk.api.agent.BlockExtent;
import java.util.Iterator;

/**
 * Where the controller gets a snapshot's extents in cluster mode: from the owning node agent's internal API
 * ({@link AgentApiExtents}). The pools are on the nodes; extents are never written into resources.
 */
public interface SnapshotExtents {

    /** {@link dev.vdisk.api.agent.ExtentApi#allocated} of the agent on {@code node}. */
    Iterator<BlockExtent> allocated(String node, String snapshotId, long startOffset);

    /** {@link dev.vdisk.api.agent.ExtentApi#delta} of the agent on {@code node}. */
    Iterator<BlockExtent> delta(String node, String baseSnapshotId, String targetSnapshotId, long startOffset);
}
