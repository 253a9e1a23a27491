package dev.vdisk.engine.format;

import java.util.Map;

/**
 * One catalog entry: a vdisk or a snapshot, as serialised at a consistency point (see {@link Catalog} for bytes).
 *
 * @param id never reused within a pool
 * @param rootWord0 the root map entry's first word (see {@link MapEntry})
 * @param rootWord1 the root map entry's second word (CRC of the root indirect block)
 * @param height levels of indirect blocks below the root entry (>= 1)
 * @param ownerId for a snapshot: the vdisk it was taken of; 0 otherwise
 * @param backingId for a clone: the snapshot whose content shows through holes; 0 otherwise
 * @param hidden deleted by the user but still needed by dependents
 * @param epoch snapshot epoch (birth stamp of new map entries)
 * @param extensions versioned extension fields by tag (change index root, in-use map root, split cursor, ...)
 */
public record CatalogEntry(
        long id,
        String name,
        Kind kind,
        boolean hidden,
        long size,
        long rootWord0,
        long rootWord1,
        int height,
        long ownerId,
        long backingId,
        long epoch,
        long createdMillis,
        Map<Integer, byte[]> extensions) {

    public CatalogEntry {
        extensions = Map.copyOf(extensions);
    }
}
