package dev.vdisk.engine;

/**
 * One extent of an {@link ExtentScan}: {@code length} bytes at byte {@code offset} of a snapshot.
 *
 * @param kind ALLOCATED (in use, from {@code allocated}), CHANGED (in use in the target and possibly different from the
 *     base: read it from the target), DEALLOCATED (in use in the base, not in the target: reads zeros there)
 */
public record Extent(long offset, long length, Kind kind) {
    public enum Kind {
        ALLOCATED,
        CHANGED,
        DEALLOCATED
    }

    public long end() {
        return offset + length;
    }
}
