package dev.vdisk.engine.alloc;

/**
 * Where an {@link Allocator}'s search for a free segment resumes: just past the last one allocated, wrapping to the
 * start of the data area, so allocations spread over the pool instead of reusing the lowest free segment at once. Not
 * thread-safe: the {@link Allocator} calls it under its lock.
 */
final class FreeSegmentCursor {
    private final long firstDataVbn;
    private final long segmentCount;
    private long cursor;

    FreeSegmentCursor(long firstDataVbn, long segmentCount) {
        this.firstDataVbn = firstDataVbn;
        this.segmentCount = segmentCount;
        this.cursor = firstDataVbn;
    }

    /** Back to the start of the data area (open). */
    void reset() {
        cursor = firstDataVbn;
    }

    /** The next segment free in {@code refs} at or after the cursor, wrapping once, and moves past it; -1 if none. */
    long next(RefCounts refs) {
        long v = refs.nextFree(cursor, segmentCount);
        if (v < 0) {
            v = refs.nextFree(firstDataVbn, cursor);
        }
        if (v >= 0) {
            cursor = v + 1 >= segmentCount ? firstDataVbn : v + 1;
        }
        return v;
    }
}
