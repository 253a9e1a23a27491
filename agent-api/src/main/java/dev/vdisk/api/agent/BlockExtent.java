package dev.vdisk.api.agent;

/**
 * One extent of a snapshot-metadata stream ({@link ExtentApi#allocated}, {@link ExtentApi#delta}): {@code length}
 * bytes from byte {@code offset}. Extents of one stream are ascending, non-overlapping and coalesced.
 *
 * @param kind ALLOCATED (in use in the snapshot), CHANGED (in use in the target and possibly different from the base:
 *             read it from the target), DEALLOCATED (in use in the base, not in the target: reads zeros there)
 */
public record BlockExtent(long offset, long length, Kind kind) {

    public enum Kind {
        ALLOCATED,
        CHANGED,
        DEALLOCATED
    }

    public BlockExtent {
        if (offset < 0 || length <= 0) {
            throw new IllegalArgumentException("extent at " + offset + " of " + length + " bytes");
        }
    }

    public long end() {
        return offset + length;
    }
}
