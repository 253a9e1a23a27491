package dev.vdisk.controller.service;

import dev.vdisk.controller.agents.NodeAgents;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a clone created with {@code splitOnClone=share|copy} gets detached from its source: {@link #startingOn}
 * asks the clone's node agent to start the engine's clone splitter. {@link #NOT_WIRED} only logs that the clone stays
 * a thin clone reading through its snapshot (always correct, only not independent of it); for tests and modes
 * without agents.
 */
@FunctionalInterface
public interface CloneSplitHook {

    /**
     * Clone attribute: the split mode ({@code share|copy}) the controller asks for, stored with the clone before it is
     * created and before the hook is called. A crash in between leaves a clone that asks for a split and has none: the
     * node agent starts such splits when it starts, and a retried CreateVolume calls the hook again; both are
     * idempotent (the agent's start returns a running, queued or finished split as it is).
     */
    String REQUESTED = "splitRequested";

    /**
     * Starts splitting {@code volumeId} on {@code nodeId} off the snapshot it reads through; {@code mode} is
     * {@code share} or {@code copy}. Called under the volume's lock; must return without waiting for the split.
     */
    void startSplit(String nodeId, String volumeId, String mode);

    /**
     * Asks the node's agent to start the split, unthrottled, and returns (the agent runs or queues it). A refusal is
     * logged and not thrown: the clone exists and is correct, CreateVolume has succeeded, and the split can be asked
     * for again (a retried CreateVolume calls the hook again, and the agent's start is idempotent).
     */
    static CloneSplitHook startingOn(NodeAgents agents) {
        Logger LOG = LoggerFactory.getLogger(CloneSplitHook.class);
        return (nodeId, volumeId, mode) -> {
            try {
                VolumeController.agent(agents, nodeId).startSplit(volumeId, mode, 0);
                LOG.info("volume {}: asked node {} for a {} split off its snapshot", volumeId, nodeId, mode);
            } catch (RuntimeException e) {
                LOG.warn(
                        "volume {}: starting its {} split on node {} failed, it stays a thin clone: {}",
                        volumeId,
                        mode,
                        nodeId,
                        e.getMessage());
            }
        };
    }

    CloneSplitHook NOT_WIRED = new CloneSplitHook() {
        private static final Logger LOG = LoggerFactory.getLogger(CloneSplitHook.class);

        @Override
        public void startSplit(String nodeId, String volumeId, String mode) {
            LOG.warn(
                    "volume {} asks for splitOnClone={}, but no clone splitter is wired here: it stays a thin"
                            + " clone of its snapshot",
                    volumeId,
                    mode);
        }
    };
}
