package dev.vdisk.engine;

import dev.vdisk.engine.error.CorruptMetadataException;
import dev.vdisk.engine.format.Catalog;
import dev.vdisk.engine.format.CatalogEntry;
import dev.vdisk.engine.format.Superblock;
import dev.vdisk.engine.map.MapTree;

/**
 * Bounds of the numbers that decoded metadata hands to allocations and loops: a superblock or catalog entry whose
 * checksum is valid may still hold a value no pool can have (a bug, a tool, a crafted file), and such a value must
 * become a {@link CorruptMetadataException} naming the field, its value and the limit, never an
 * {@code OutOfMemoryError} or a misleading checksum failure further on.
 */
final class MetadataBounds {
    /** The largest Java array: the catalog payload is read into one. */
    static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private MetadataBounds() {}

    /**
     * Checks a superblock against the format and, when {@code dataBytes >= 0} (a file; a device's size is not
     * checked), against the size of the data space.
     */
    static void superblock(Superblock sb, long dataBytes, String where) {
        int seg = sb.segmentSize();
        if (sb.blockSize() != Superblock.BLOCK_SIZE) {
            throw field(where, "block size", sb.blockSize(), "must be " + Superblock.BLOCK_SIZE);
        }
        if (Integer.bitCount(seg) != 1 || seg < 4096 || seg > (1 << 20)) {
            throw field(where, "segment size", seg, "must be a power of two from 4096 to 1048576");
        }
        long reserved = Superblock.reservedSegments(seg);
        if (sb.segmentCount() <= reserved || sb.segmentCount() > Integer.MAX_VALUE) {
            throw field(
                    where,
                    "segment count",
                    sb.segmentCount(),
                    "must be above " + reserved + " and at most " + Integer.MAX_VALUE);
        }
        long bytes = sb.segmentCount() * seg;
        if (dataBytes >= 0 && dataBytes < bytes) {
            throw new CorruptMetadataException(where + " holds " + dataBytes + " bytes, but its superblock says "
                    + sb.segmentCount() + " segments of " + seg + " bytes (" + bytes + " bytes): the file was truncated"
                    + " or replaced; restore it from a backup");
        }
        long maxCatalog = Math.min(MAX_ARRAY, (sb.segmentCount() - reserved) * Catalog.payloadPerSegment(seg));
        if (sb.catalogLength() < 0 || sb.catalogLength() > maxCatalog) {
            throw field(
                    where,
                    "catalog length",
                    sb.catalogLength(),
                    "must be from 0 to " + maxCatalog + " (what the pool's segments can hold)");
        }
        if (sb.replaySeq() < 0) {
            throw field(where, "journal replay position", sb.replaySeq(), "must not be negative");
        }
    }

    /** Checks the numbers of one catalog entry that size trees and tables. */
    static void entry(CatalogEntry e, int segmentSize) {
        String where = "catalog entry " + e.id() + " (" + e.name() + ")";
        if (e.size() < 0 || e.size() > Pool.MAX_VDISK_SIZE || e.size() % 4096 != 0) {
            throw field(where, "size", e.size(), "must be a multiple of 4096 from 0 to " + Pool.MAX_VDISK_SIZE);
        }
        int maxHeight = MapTree.heightFor(Pool.MAX_VDISK_SIZE, segmentSize);
        if (e.height() < 1 || e.height() > maxHeight) {
            throw field(where, "tree height", e.height(), "must be from 1 to " + maxHeight);
        }
    }

    private static CorruptMetadataException field(String where, String field, long value, String limit) {
        return new CorruptMetadataException(where + ": " + field + " " + value + " is impossible (" + limit
                + "); the pool metadata is damaged, restore it from a backup");
    }
}
