package dev.vdisk.api.agent;

/**
 * A snapshot as the agent reports it. Snapshots are read-only and ready as soon as they exist (the engine shares
 * the volume's tree in one consistency point; nothing is copied or uploaded afterwards).
 *
 * @param snapshotId     the CSI snapshot ID (also the engine's snapshot name)
 * @param sourceVolumeId the volume it was taken of; kept after that volume is deleted (snapshots outlive it)
 * @param sizeBytes      the source volume's size when it was taken
 * @param createdMillis  when it was taken (epoch milliseconds)
 * @param groupId        the group snapshot it was taken in ({@link SnapshotApi#createSnapshotGroup}), empty if none
 */
public record AgentSnapshot(
        String snapshotId, String sourceVolumeId, long sizeBytes, long createdMillis, String groupId) {

    /** A snapshot taken on its own. */
    public AgentSnapshot(String snapshotId, String sourceVolumeId, long sizeBytes, long createdMillis) {
        this(snapshotId, sourceVolumeId, sizeBytes, createdMillis, "");
    }
}
