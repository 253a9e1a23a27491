package dev.vdisk.kube.resource;

import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Required;

/**
 * A node to evacuate.
 *
 * @param nodeName           the node whose volumes to replicate elsewhere
 * @param targetNode         the one node to replicate to; absent: a node with room per volume
 * @param rateBytesPerSecond at most this many data bytes per second per volume; 0 or absent for no limit
 */
public record VdiskEvacuationSpec(
        @Required String nodeName,
        String targetNode,
        @Min(0) Long rateBytesPerSecond) {}
