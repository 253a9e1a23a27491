package dev.vdisk.api.agent;

/**
 * A volume as the agent reports it.
 *
 * @param sizeBytes      the size the volume's block device has (a multiple of 4 KiB)
 * @param allocatedBytes pool space its data occupies (thin: grows with writes, shrinks with discards)
 * @param staged         whether it is staged on this node (then it cannot be deleted)
 */
public record AgentVolume(String volumeId, long sizeBytes, long allocatedBytes, boolean staged) {
}
