package dev.vdisk.controller.service;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a clone created with {@code splitOnClone=share|copy} gets detached from its source: the engine's clone
 * splitter (being written in {@code dev.vdisk.engine}) is started through here, once the clone exists. Until it is
 * wired, {@link #NOT_WIRED} logs that the clone stays a thin clone reading through its snapshot (always correct,
 * only not independent of it).
 */
@FunctionalInterface
public interface CloneSplitHook {

    /**
     * Starts splitting {@code volumeId} on {@code nodeId} off the snapshot it reads through; {@code mode} is
     * {@code share} or {@code copy}. Called under the volume's lock; must return without waiting for the split.
     */
    void startSplit(String nodeId, String volumeId, String mode);

    CloneSplitHook NOT_WIRED = new CloneSplitHook() {
        private static final Logger LOG = LoggerFactory.getLogger(CloneSplitHook.class);

        @Override
        public void startSplit(String nodeId, String volumeId, String mode) {
            LOG.warn("volume {} asks for splitOnClone={}, but the clone splitter is not wired yet: it stays a thin"
                    + " clone of its snapshot", volumeId, mode);
        }
    };
}
