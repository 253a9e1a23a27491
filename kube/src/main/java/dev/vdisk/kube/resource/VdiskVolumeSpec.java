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
 */
public record VdiskVolumeSpec(
        @Required String nodeName,
        @Required long sizeBytes,
        String sourceSnapshotId,
        Map<String, String> attributes,
        SplitSpec split) {}
