package dev.vdisk.kube.resource;

import io.fabric8.generator.annotation.Required;
import java.util.Map;

/**
 * Snapshots of several volumes of one node taken at one instant.
 *
 * @param nodeName the node of every member volume
 * @param members  volume ID &rarr; ID of the snapshot to take of it
 */
public record VdiskGroupSnapshotSpec(
        @Required String nodeName, @Required Map<String, String> members) {}
