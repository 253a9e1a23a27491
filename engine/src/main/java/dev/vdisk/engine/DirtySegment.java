package dev.vdisk.engine;

import dev.vdisk.engine.core.GuardedBy;
import java.util.Arrays;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One segment's entry in the changes table: which of its 4 KiB blocks hold newer bytes than the map (each in a
 * {@link Slab} block), whether the segment was discarded as a whole ({@link #baseZero}) and the space reserved to
 * destage it. Created by the first write or discard after the segment was last destaged; the destager applies it to
 * the pool as a whole, under {@link #lock}, and then marks it {@link #dead} and removes it from the table, so writers
 * that still hold a reference retry with a fresh one.
 */
final class DirtySegment {
    static final int CLEAN = -1;
    /** A block that reads zeros (partial discard over mapped data). */
    static final int ZEROED = -2;

    final Vdisk vdisk;
    final long index;
    /**
     * Guards everything below. Held by writers while they journal and copy into it, by readers while they copy out,
     * and by the destager for the whole destage of this segment (so no write interleaves with it).
     */
    final ReentrantLock lock = new ReentrantLock();

    @GuardedBy("lock")
    final int[] slots;

    @GuardedBy("lock")
    int dirtyBlocks;
    /** Blocks not dirty read zeros, not the map's content (whole-segment discard). */
    @GuardedBy("lock")
    boolean baseZero;
    /** Destaging will need a new segment (the mapped one is missing or shared). Decided at creation. */
    @GuardedBy("lock")
    boolean needsAlloc;
    /** Segments reserved from the allocator for destaging this one (data + indirect blocks). */
    @GuardedBy("lock")
    int reservation;
    /** Lowest journal sequence number whose effect is (or was) in this entry: the replay position bound. */
    @GuardedBy("lock")
    long minSeq = Long.MAX_VALUE;

    @GuardedBy("lock")
    long maxSeq = -1;

    @GuardedBy("lock")
    boolean queued;

    @GuardedBy("lock")
    boolean dead;

    DirtySegment(Vdisk vdisk, long index, int blocksPerSegment) {
        this.vdisk = vdisk;
        this.index = index;
        this.slots = new int[blocksPerSegment];
        Arrays.fill(slots, CLEAN);
    }

    @GuardedBy("lock")
    void noteSeqWithoutLocking(long seq) {
        minSeq = Math.min(minSeq, seq);
        maxSeq = Math.max(maxSeq, seq);
    }

    @GuardedBy("lock")
    boolean isEmptyWithoutLocking() {
        return dirtyBlocks == 0 && !baseZero;
    }
}
