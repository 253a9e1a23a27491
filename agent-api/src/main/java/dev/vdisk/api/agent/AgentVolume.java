package dev.vdisk.api.agent;

import java.util.Map;
import java.util.Optional;

/**
 * A volume as the agent reports it.
 *
 * @param sizeBytes      the size the volume's block device has (a multiple of {@link VolumeApi#SIZE_GRANULARITY})
 * @param allocatedBytes pool space its data occupies (thin: grows with writes, shrinks with discards)
 * @param staged         whether it is staged on this node (then it cannot be deleted)
 * @param attributes     what the controller stored with the volume (its CSI name, creation parameters, mutable
 *                       parameters); opaque to the agent, kept as long as the volume exists
 * @param abnormal       why the volume's data path on this node is broken, if it is (the CSI volume condition)
 */
public record AgentVolume(
        String volumeId,
        long sizeBytes,
        long allocatedBytes,
        boolean staged,
        Map<String, String> attributes,
        Optional<String> abnormal) {

    public AgentVolume {
        attributes = Map.copyOf(attributes);
    }

    /** A healthy volume without attributes. */
    public AgentVolume(String volumeId, long sizeBytes, long allocatedBytes, boolean staged) {
        this(volumeId, sizeBytes, allocatedBytes, staged, Map.of(), Optional.empty());
    }
}
