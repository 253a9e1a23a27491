package dev.vdisk.engine.alloc;

import dev.vdisk.engine.core.GuardedBy;
import dev.vdisk.engine.error.CorruptMetadataException;
import dev.vdisk.engine.error.OutOfSpaceException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongPredicate;

/**
 * The block allocation structure: one reference count per segment ({@link RefCounts}: about 2 bits of heap per used
 * segment, none per free one), free-space accounting and reservations ({@link SpaceAccount}). In memory only: rebuilt
 * on open by walking every tree reachable from the catalog ({@link #resetForOpen}, {@link #countAtOpen},
 * {@link #openCounted}).
 *
 * <p>Every reference change goes through {@link #incref}/{@link #decref}; a segment whose count reaches 0 is not
 * free at once but <em>pending</em>: the durable consistency points may still reference it. It becomes reusable
 * after two more consistency points ({@link #checkpointDurable}, {@link ReuseCountdown}), so both superblock slots
 * always describe intact trees (the older slot is the fallback when the newer one is damaged).
 *
 * <p>Reservations: a write that will need a new segment reserves {@code 1 + height} segments before it is
 * journalled (the data segment and at most one new indirect block per level). A reservation succeeds only if it
 * leaves {@link #metadataHeadroom()} free segments, enough to rewrite every indirect block and the catalog at the
 * next consistency point while their old copies are still pending.
 */
public final class Allocator {
    /** Marks a segment whose count reached 0 but that durable consistency points may still reference. */
    private static final int PENDING = RefCounts.PENDING;

    private final long segmentCount;
    private final long firstDataVbn;

    /** Guards every field below. Held only for short, non-blocking critical sections. */
    private final ReentrantLock lock = new ReentrantLock();

    @GuardedBy("lock")
    private RefCounts refs;

    @GuardedBy("lock")
    private final SpaceAccount space;

    @GuardedBy("lock")
    private final FreeSegmentCursor cursor;

    /** Pending and held segments (its hold predicate is set once, outside the lock). */
    @GuardedBy("lock")
    private final ReuseCountdown countdown = new ReuseCountdown();

    public Allocator(long segmentCount, long firstDataVbn) {
        if (segmentCount > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("pools above " + Integer.MAX_VALUE + " segments are not supported");
        }
        this.segmentCount = segmentCount;
        this.firstDataVbn = firstDataVbn;
        this.refs = new RefCounts(segmentCount);
        this.space = new SpaceAccount(segmentCount - firstDataVbn);
        this.cursor = new FreeSegmentCursor(firstDataVbn, segmentCount);
    }

    public long segmentCount() {
        return segmentCount;
    }

    public long firstDataVbn() {
        return firstDataVbn;
    }

    /** True if {@code vbn} may appear in a map: inside the pool and outside the superblock area. */
    public boolean isDataVbn(long vbn) {
        return vbn >= firstDataVbn && vbn < segmentCount;
    }

    /**
     * Open: forgets every count; the walk over the catalog and every tree then adds each reference it finds with
     * {@link #countAtOpen} and ends with {@link #openCounted}. Single-threaded (the pool is not open yet).
     */
    public void resetForOpen() {
        lock.lock();
        try {
            refs = new RefCounts(segmentCount);
            countdown.clear();
        } finally {
            lock.unlock();
        }
    }

    /** Adds one reference to {@code vbn} during open; returns the count before (0: first time seen). */
    public int countAtOpen(long vbn) {
        lock.lock();
        try {
            checkVbn(vbn);
            int r = refs.get(vbn);
            refs.set(vbn, r + 1);
            return r;
        } finally {
            lock.unlock();
        }
    }

    /** Ends the open's count: {@code nodes} indirect blocks found; the rest of the data area is free. */
    public void openCounted(long nodes) {
        lock.lock();
        try {
            space.openCounted(segmentCount - firstDataVbn - refs.used(), nodes);
            cursor.reset();
        } finally {
            lock.unlock();
        }
    }

    public int refcount(long vbn) {
        lock.lock();
        try {
            int r = refs.get(vbn);
            return r == PENDING ? 0 : r;
        } finally {
            lock.unlock();
        }
    }

    /** Copy of the counts, pending segments as 0 (for the consistency check). */
    public int[] snapshotCounts() {
        lock.lock();
        try {
            int[] c = new int[(int) segmentCount];
            for (long v = firstDataVbn; v < segmentCount; v++) {
                c[(int) v] = Math.max(0, refs.get(v));
            }
            return c;
        } finally {
            lock.unlock();
        }
    }

    public void incref(long vbn) {
        lock.lock();
        try {
            checkVbn(vbn);
            int r = refs.get(vbn);
            if (r <= 0) {
                throw new IllegalStateException("incref of unallocated segment " + vbn);
            }
            refs.set(vbn, r + 1);
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@link #incref} of {@code vbns[0..n)} under one hold of the lock (a SHARE split takes hundreds at once); all or
     * nothing: every segment is checked before any count changes.
     */
    public void incref(long[] vbns, int n) {
        lock.lock();
        try {
            for (int i = 0; i < n; i++) {
                checkVbn(vbns[i]);
                if (refs.get(vbns[i]) <= 0) {
                    throw new IllegalStateException("incref of unallocated segment " + vbns[i]);
                }
            }
            for (int i = 0; i < n; i++) {
                refs.set(vbns[i], refs.get(vbns[i]) + 1);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Drops one reference; at 0 the segment becomes pending (reusable two consistency points later). */
    public void decref(long vbn) {
        lock.lock();
        try {
            checkVbn(vbn);
            int r = refs.get(vbn);
            if (r <= 0) {
                throw new IllegalStateException("decref of unallocated segment " + vbn);
            }
            if (r == 1) {
                refs.set(vbn, PENDING);
                countdown.reachedZero(vbn);
            } else {
                refs.set(vbn, r - 1);
            }
        } finally {
            lock.unlock();
        }
    }

    private void checkVbn(long vbn) {
        if (!isDataVbn(vbn)) {
            throw new CorruptMetadataException("segment " + vbn + " is outside the data area " + firstDataVbn + ".."
                    + (segmentCount - 1) + "; run vdisk check");
        }
    }

    /** Space the next consistency point may need for indirect blocks and the catalog, kept out of reservations. */
    public long metadataHeadroom() {
        lock.lock();
        try {
            return space.metadataHeadroom();
        } finally {
            lock.unlock();
        }
    }

    /** Reserves {@code n} segments for data, or returns false (nothing changed). */
    public boolean tryReserve(long n) {
        lock.lock();
        try {
            return space.tryReserve(n);
        } finally {
            lock.unlock();
        }
    }

    public void unreserve(long n) {
        if (n == 0) {
            return;
        }
        lock.lock();
        try {
            space.unreserve(n);
        } finally {
            lock.unlock();
        }
    }

    /** Accounts {@code created} new in-memory indirect blocks, {@code fromReservation} of them from a reservation. */
    public void nodesCreated(long created, long fromReservation) {
        lock.lock();
        try {
            space.nodesCreated(created, fromReservation);
        } finally {
            lock.unlock();
        }
    }

    /** Accounts indirect blocks that left memory (tree deleted). */
    public void nodesReleased(long n) {
        lock.lock();
        try {
            space.nodesReleased(n);
        } finally {
            lock.unlock();
        }
    }

    /** Checks room for {@code n} new indirect blocks created by a metadata operation (grow), and accounts them. */
    public void addNodesOrThrow(long n, int segmentSize) {
        lock.lock();
        try {
            space.addNodesOrThrow(n, segmentSize);
        } finally {
            lock.unlock();
        }
    }

    public void setCatalogSegments(long n) {
        lock.lock();
        try {
            space.setCatalogSegments(n);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Allocates one segment with count 1. {@code fromReservation} consumes one reserved segment (data writes);
     * otherwise it is a metadata allocation drawn from the headroom.
     */
    public long allocate(boolean fromReservation, int segmentSize) {
        lock.lock();
        try {
            if (space.free() == 0) {
                throw new OutOfSpaceException("allocating a segment", 0, segmentSize);
            }
            long v = cursor.next(refs);
            if (v < 0) {
                throw new IllegalStateException("free count " + space.free() + " but no free segment found");
            }
            refs.set(v, 1);
            space.allocated(fromReservation);
            return v;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sets what keeps a segment that reaches 0 from the two-point reuse countdown: a journal record that replay could
     * still apply names it (write-anywhere pointers, docs/architecture/write-path.md).
     */
    public void holdReuseWhile(LongPredicate hold) {
        countdown.holdWhile(hold);
    }

    /** At open, before replay: segments in {@code vbns} that are free are held (see {@link #holdReuseWhile}). */
    public void holdIfFree(long[] vbns) {
        lock.lock();
        try {
            for (long v : vbns) {
                if (isDataVbn(v) && refs.get(v) == 0) {
                    refs.set(v, PENDING);
                    space.taken();
                    countdown.hold(v);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** Moves held segments that the hold no longer names into the two-point countdown; returns how many. */
    public long releaseHeld() {
        lock.lock();
        try {
            return countdown.releaseHeld();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Replay of a pointer record: takes {@code vbn}, which no tree references (free or held), with count 1 (no
     * reservation: replay reserves none). False, changing nothing, if a tree references it.
     */
    public boolean claim(long vbn) {
        lock.lock();
        try {
            checkVbn(vbn);
            int r = refs.get(vbn);
            if (r > 0) {
                return false;
            }
            if (r == 0) {
                space.taken();
            } else {
                countdown.unhold(vbn); // held at open (holdIfFree)
            }
            refs.set(vbn, 1);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Called when a consistency point is durable: releases the segments freed before the previous one. */
    public long checkpointDurable() {
        lock.lock();
        try {
            return countdown.checkpointDurable(refs, space);
        } finally {
            lock.unlock();
        }
    }

    /** Numbers for {@code pool info} and error messages. */
    public Usage usage() {
        lock.lock();
        try {
            return space.usage(segmentCount - firstDataVbn, countdown.size());
        } finally {
            lock.unlock();
        }
    }

    /**
     * Segment counts. {@code available} is what data writes can still reserve.
     *
     * @param total data segments (pool minus superblock area)
     * @param used segments with a reference count above 0
     * @param free segments with count 0, reusable now
     * @param pending segments freed but not yet reusable (wait for two consistency points)
     * @param reserved reserved by acknowledged writes not yet destaged
     * @param nodes indirect blocks in memory
     * @param headroom kept for the next consistency point's metadata
     */
    public record Usage(long total, long used, long free, long pending, long reserved, long nodes, long headroom) {
        public long available() {
            return Math.max(0, free - reserved - headroom);
        }
    }
}
