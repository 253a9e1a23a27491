package dev.vdisk.engine;

/**
 * Lineage and space of one vdisk or snapshot ({@link Pool#lineage()}).
 *
 * @param snapshot true for a snapshot
 * @param hidden a deleted snapshot still held by dependents
 * @param ownerId for a snapshot: the vdisk it was taken of (which may be deleted)
 * @param backingId the snapshot whose data shows through this one's holes, 0 if none
 * @param depth length of the backing chain (0: no backing)
 * @param ownBytes data referenced by this one alone (count 1, no shared indirect block on the path)
 * @param sharedBytes data also referenced by other vdisks or snapshots
 */
public record Lineage(
        long id,
        String name,
        boolean snapshot,
        boolean hidden,
        long ownerId,
        long backingId,
        int depth,
        long sizeBytes,
        long ownBytes,
        long sharedBytes) {}
