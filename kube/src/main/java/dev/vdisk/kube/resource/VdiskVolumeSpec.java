package dev.vdisk.kube.resource;

import io.fabric8.generator.annotation.Required;
import java.util.Map;

/**
 * A volume as the controller wants it.
 *
 * @param nodeName         the node whose pool holds it; never changes
 * @param sizeBytes        at least this many bytes (the agent rounds up to 4 KiB); raising it expands the volume
 * @param sourceSnapshotId a thin clone of this snapshot (on the same node), or null for an empty volume
 * @param attributes       what the controller stores with the volume (fs type, split policy, I/O limits); changing
 *                         them is ControllerModifyVolume
 * @param split            the split to run, or null for none
 * @param sourceNodeName   the node that holds {@code sourceSnapshotId} when it is not {@code nodeName} (restore
 *                         anywhere): this node's agent first pulls a replica of the snapshot from there; null for a
 *                         snapshot on this node
 */
public record VdiskVolumeSpec(
        @Required String nodeName,
        @Required long sizeBytes,
        String sourceSnapshotId,
        Map<String, String> attributes,
        SplitSpec split,
        String sourceNodeName) {

    /** A volume whose source snapshot, if any, is on its own node. */
    public VdiskVolumeSpec(
            String nodeName, long sizeBytes, String sourceSnapshotId, Map<String, String> attributes, SplitSpec split) {
        this(nodeName, sizeBytes, sourceSnapshotId, attributes, split, null);
    }
}
