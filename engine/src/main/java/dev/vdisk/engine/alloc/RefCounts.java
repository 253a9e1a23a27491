package dev.vdisk.engine.alloc;

/**
 * A reference count per segment in about 2 bits of heap where the pool is used and none where it is free: segments
 * are grouped in chunks of 65,536, a chunk holds a 2-bit code per segment and exists only while one of its segments is
 * not free; counts above 1 (shared by snapshots and clones) live in an overflow map. A 100 TiB pool at 64 KiB segments
 * costs 200 KiB of chunk table plus 16 KiB per chunk in use, where an {@code int[]} cost 6.4 GB.
 *
 * <p>Codes: 0 free, 1 one reference, 2 {@link #PENDING}, 3 two or more (the count is in the overflow map). Not
 * thread-safe: the {@link Allocator} calls it under its lock.
 */
final class RefCounts {
    /** Count reported for a segment whose count reached 0 and which is not yet reusable. */
    static final int PENDING = -1;

    private static final int CHUNK_SHIFT = 16;
    private static final int CHUNK_SEGMENTS = 1 << CHUNK_SHIFT;
    private static final int WORDS_PER_CHUNK = CHUNK_SEGMENTS / 32;
    private static final long LOW_BITS = 0x5555_5555_5555_5555L;
    private static final int CODE_SHARED = 3;
    private static final int CODE_PENDING = 2;

    private final long segments;
    private final long[][] chunks;
    /** Segments of each chunk whose code is not 0; the chunk is dropped when it reaches 0. */
    private final int[] used;

    private final LongIntMap overflow = new LongIntMap();
    private long usedTotal;

    RefCounts(long segments) {
        this.segments = segments;
        int n = (int) ((segments + CHUNK_SEGMENTS - 1) >>> CHUNK_SHIFT);
        this.chunks = new long[n][];
        this.used = new int[n];
    }

    /** Segments whose code is not 0 (referenced or pending). */
    long used() {
        return usedTotal;
    }

    /** The count: 0 free, {@link #PENDING}, or the number of references. */
    int get(long vbn) {
        long[] c = chunks[(int) (vbn >>> CHUNK_SHIFT)];
        if (c == null) {
            return 0;
        }
        int code = code(c, vbn);
        return switch (code) {
            case 0 -> 0;
            case 1 -> 1;
            case CODE_PENDING -> PENDING;
            default -> overflow.get(vbn);
        };
    }

    /** Sets the count ({@code value >= 0} or {@link #PENDING}). */
    void set(long vbn, int value) {
        int ci = (int) (vbn >>> CHUNK_SHIFT);
        long[] c = chunks[ci];
        if (c == null) {
            if (value == 0) {
                return;
            }
            c = new long[WORDS_PER_CHUNK];
            chunks[ci] = c;
        }
        int old = code(c, vbn);
        if (old == CODE_SHARED) {
            overflow.remove(vbn);
        }
        int code;
        if (value == PENDING) {
            code = CODE_PENDING;
        } else if (value <= 1) {
            code = value;
        } else {
            code = CODE_SHARED;
            overflow.put(vbn, value);
        }
        int w = (int) ((vbn & (CHUNK_SEGMENTS - 1)) >>> 5);
        int shift = (int) ((vbn & 31) << 1);
        c[w] = (c[w] & ~(3L << shift)) | ((long) code << shift);
        if (old == 0 && code != 0) {
            used[ci]++;
            usedTotal++;
        } else if (old != 0 && code == 0) {
            usedTotal--;
            if (--used[ci] == 0) {
                chunks[ci] = null;
            }
        }
    }

    /** The first free segment in {@code [from, to)}, or -1; skips absent and full chunks a word at a time. */
    long nextFree(long from, long to) {
        long v = from;
        while (v < to) {
            int ci = (int) (v >>> CHUNK_SHIFT);
            long[] c = chunks[ci];
            if (c == null) {
                return v;
            }
            long chunkEnd = Math.min(to, (long) (ci + 1) << CHUNK_SHIFT);
            while (v < chunkEnd) {
                int w = (int) ((v & (CHUNK_SEGMENTS - 1)) >>> 5);
                long word = c[w];
                // a lane whose two bits are both 0 is a free segment
                long free = ~word & (~word >>> 1) & LOW_BITS;
                free &= -1L << ((v & 31) << 1);
                if (free != 0) {
                    long found = (v & ~31L) + (Long.numberOfTrailingZeros(free) >>> 1);
                    return found < chunkEnd ? found : -1;
                }
                v = (v & ~31L) + 32;
            }
        }
        return -1;
    }

    /** Segments in total. */
    long segments() {
        return segments;
    }

    private static int code(long[] c, long vbn) {
        int w = (int) ((vbn & (CHUNK_SEGMENTS - 1)) >>> 5);
        return (int) (c[w] >>> ((vbn & 31) << 1)) & 3;
    }
}
