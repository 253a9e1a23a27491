package dev.vdisk.kube.resource;

import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/**
 * What to keep replicated, where and how often. Exactly one of {@code pvcName} and {@code volumeId} names the
 * volume (a PVC in the same namespace for users; a CSI volume ID for tools that speak volume IDs only).
 *
 * @param pvcName            the PVC whose volume to replicate
 * @param volumeId           the CSI volume ID to replicate, when no PVC names it
 * @param targetNode         the node to replicate to; absent: the controller picks a node with room
 * @param interval           how often to ship a new snapshot, e.g. {@code 15m} or {@code 1h30m}; absent: once
 * @param keep               replicated snapshots kept on the target (the newest is the next delta's base); default 2
 * @param rateBytesPerSecond at most this many data bytes per second on the wire; 0 or absent for no limit
 */
public record VdiskReplicationSpec(
        String pvcName,
        String volumeId,
        String targetNode,
        @Pattern("^([0-9]+(s|m|h))+$") String interval,
        @Min(1) Integer keep,
        @Min(0) Long rateBytesPerSecond) {}
