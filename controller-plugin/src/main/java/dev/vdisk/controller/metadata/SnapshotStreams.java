package dev.vdisk.controller.metadata;

import dev.vdisk.api.agent.ExtentApi;
import dev.vdisk.controller.agents.NodeAgents;
import dev.vdisk.controller.agents.NodeSnapshot;
import java.util.Optional;

/**
 * What {@link SnapshotMetadataService} reads: which node holds a snapshot, and that node's extent streams. The
 * controller's are its {@link NodeAgents} ({@link #of}); a node agent serving its own pool over the internal API
 * implements it on that pool alone.
 */
public interface SnapshotStreams {

    /** The node that has the snapshot, and the snapshot as its agent reports it. */
    Optional<NodeSnapshot> findSnapshot(String snapshotId);

    /** The extent streams of {@code nodeId}'s pool, empty for a node not known. */
    Optional<? extends ExtentApi> extentsOn(String nodeId);

    /** The streams of every node agent the controller knows. */
    static SnapshotStreams of(NodeAgents agents) {
        return new SnapshotStreams() {
            @Override
            public Optional<NodeSnapshot> findSnapshot(String snapshotId) {
                return agents.findSnapshot(snapshotId);
            }

            @Override
            public Optional<? extends ExtentApi> extentsOn(String nodeId) {
                return agents.agent(nodeId);
            }
        };
    }
}
