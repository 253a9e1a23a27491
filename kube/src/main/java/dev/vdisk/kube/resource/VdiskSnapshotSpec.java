package dev.vdisk.kube.resource;

import io.fabric8.generator.annotation.Required;

/**
 * A snapshot as the controller wants it.
 *
 * @param nodeName       the node of the source volume
 * @param sourceVolumeId the volume to take it of
 */
public record VdiskSnapshotSpec(
        @Required String nodeName, @Required String sourceVolumeId) {}
