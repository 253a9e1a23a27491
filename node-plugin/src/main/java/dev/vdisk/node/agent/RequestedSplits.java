package dev.vdisk.node.agent;

import dev.vdisk.api.agent.AgentVolume;
import dev.vdisk.api.agent.VolumeAgent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retries clone splits that the controller asked for but that never started: the controller stores attribute
 * {@link #ATTRIBUTE} ({@code share|copy}) with a clone before creating it and asks for the split after (its
 * {@code CloneSplitHook}); a crash between the two leaves a clone that wants a split and has none. At agent start,
 * every volume with the attribute that still reads through a snapshot and has no split known (running, queued,
 * recorded by the engine, or finished) gets its split started. {@code startSplit} is idempotent, so a split that
 * did start is never started twice.
 */
final class RequestedSplits {
    private static final Logger LOG = LoggerFactory.getLogger(RequestedSplits.class);
    /** Volume attribute: the split mode the controller asked for when it created this clone. */
    static final String ATTRIBUTE = "splitRequested";

    private RequestedSplits() {}

    /** Returns how many splits it started. */
    static int startMissing(VolumeAgent agent) {
        int started = 0;
        for (AgentVolume v : agent.listVolumes()) {
            String mode = v.attributes().get(ATTRIBUTE);
            if (mode == null || !(mode.equals("share") || mode.equals("copy"))) {
                continue;
            }
            try {
                if (agent.splitStatus(v.volumeId()).isPresent() || agent.chainDepth(v.volumeId()) == 0) {
                    continue;
                }
                agent.startSplit(v.volumeId(), mode, 0);
                started++;
                LOG.info("volume {}: its {} split was asked for but never started; started it now", v.volumeId(), mode);
            } catch (RuntimeException e) {
                LOG.warn("volume {}: starting its missing {} split failed: {}", v.volumeId(), mode, e.getMessage());
            }
        }
        return started;
    }
}
