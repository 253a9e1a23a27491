package dev.vdisk.api.agent;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Volumes of a node's pool: one vdisk per volume, named by the CSI volume ID, and the pool's capacity. Calls on the
 * same volume are serialised with each other and with the node's stage/unstage of that volume; calls on different
 * volumes run in parallel. Failures are {@link AgentException}s.
 */
public interface VolumeApi {

    /** Volume sizes are multiples of this (the engine's block size); requested sizes are rounded up to it. */
    long SIZE_GRANULARITY = 4096;

    /** The largest volume the engine creates (1 PiB). */
    long MAX_VOLUME_BYTES = 1L << 50;

    /**
     * Creates a thin volume of {@code sizeBytes} (rounded up to {@link #SIZE_GRANULARITY}) and stores
     * {@code attributes} with it (durably, before the volume exists: a volume is never seen without them).
     * Idempotent: an existing volume of the same rounded size is returned as it is, with the attributes it has (the
     * caller compares them).
     *
     * @throws AgentException reason ALREADY_EXISTS if it exists with another size, OUT_OF_SPACE, INVALID_ARGUMENT
     */
    AgentVolume createVolume(String volumeId, long sizeBytes, Map<String, String> attributes);

    /** {@link #createVolume(String, long, Map)} without attributes. */
    default AgentVolume createVolume(String volumeId, long sizeBytes) {
        return createVolume(volumeId, sizeBytes, Map.of());
    }

    /**
     * Sets the given attributes of an existing volume (others keep their values) and stores them durably.
     *
     * @throws AgentException reason NOT_FOUND
     */
    AgentVolume updateAttributes(String volumeId, Map<String, String> attributes);

    /**
     * Deletes a volume. Idempotent: a volume that does not exist is not an error.
     *
     * @throws AgentException reason FAILED_PRECONDITION while the volume is staged on this node
     */
    void deleteVolume(String volumeId);

    /**
     * Grows a volume to at least {@code newSizeBytes} (rounded up to 4 KiB); a staged volume's block device grows
     * with it (its filesystem is grown by NodeExpandVolume). Asking for the current size or less returns the
     * volume unchanged.
     *
     * @throws AgentException reason NOT_FOUND, OUT_OF_SPACE
     */
    AgentVolume resizeVolume(String volumeId, long newSizeBytes);

    Optional<AgentVolume> getVolume(String volumeId);

    List<AgentVolume> listVolumes();

    PoolCapacity capacity();
}
