package dev.vdisk.engine;

/**
 * What the pool reports about a snapshot.
 *
 * @param vdiskName the vdisk it was taken of, or null if that vdisk was deleted since (snapshots outlive it)
 * @param sequence the snapshot's position among its vdisk's snapshots (strictly increasing in creation order)
 * @param backingId the snapshot its holes read through (its vdisk's backing when taken), 0 if none
 * @param hidden deleted by the user but kept while clones still read through it
 */
public record SnapshotInfo(
        long id,
        String name,
        long vdiskId,
        String vdiskName,
        long sequence,
        long sizeBytes,
        long createdMillis,
        long backingId,
        boolean hidden) {}
