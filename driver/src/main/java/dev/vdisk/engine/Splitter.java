package dev.vdisk.engine;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.format.MapEntry;
import java.nio.ByteBuffer;

/**
 * Fills one clone's holes from its backing chain, one segment at a time, and finds what is left to fill (seed 000,
 * claims 1-5 and 40-42; seed 001, claims 16-18). {@link SplitTask} drives it on its own thread; {@link Pool} does the
 * final release under its locks.
 *
 * <p><b>One segment</b> ({@link #fill}): look at the clone's entry; if it is a hole, resolve the same field along the
 * backing chain (the first entry that is not a hole; a member shorter than the segment, or the end of the chain,
 * means zeros). Data at VBN X: SHARE takes a reference on X and points the entry at it (X is then shared, so a user
 * write redirects); COPY reads X, writes it unchanged to a newly allocated segment Y and points the entry at Y. Zero:
 * the entry becomes ZERO. The pointer is installed only if the entry is <em>still a hole</em>, checked under
 * {@code Pool.destageLock} and the clone's map lock: a user write that reached the map first wins (the splitter
 * leaves the entry alone). A write still in the changes table is merged by the destager onto whatever the map holds when it
 * runs: before the fill it reads the hole (the backing's bytes), after it reads X or Y (the same bytes); the destage
 * itself runs under {@code destageLock}, so the fill never lands between its lookup and its map update. Either way
 * the result is the backing's content overlaid with every user write, in order.
 *
 * <p><b>Commit protocol</b> (what is durable is always one consistency point: the clone's map and its split record
 * {@link SplitCursor} are written at the same point; recovery is {@link Pool#open} plus {@link Pool#resumeSplits()}):
 * <ol>
 *   <li><b>Start</b> ({@link Pool#split}): the record {@code {mode, cursor, state RUNNING}} is put on the clone's
 *       catalog entry and a consistency point is taken before the task runs. Crash before the point: no record, no
 *       change; the split was never started. After it: recovery finds state {@link SplitCursor.State#RUNNING} and
 *       {@code resumeSplits} restarts it from the recorded cursor.</li>
 *   <li><b>Fill</b> segment i (in memory: SHARE increments X's count and sets the entry; COPY allocates Y, writes the
 *       data to Y, sets the entry). Crash here: fills since the last point are not in the durable map, and Y is not
 *       referenced by any durable tree, so rebuilding reference counts at open frees it (nothing leaks); SHARE's extra
 *       reference on X likewise only exists in memory. The durable cursor is at most i, so the resumed task examines
 *       i again; entries filled beyond the cursor at the point are no longer holes and are skipped.</li>
 *   <li><b>Advance</b> the in-memory cursor to i + 1 (after the fill, so a point never records a cursor ahead of the
 *       map); a consistency point (the pool's timer, or the task's own every checkpoint interval) makes cursor and
 *       fills durable together. Crash after it: resume from i + 1.</li>
 *   <li><b>Pause or cancel</b>: the record's state becomes {@link SplitCursor.State#PAUSED} (out of space, with the
 *       error) or {@link SplitCursor.State#CANCELLED} and a point is taken. Recovery lists such a split
 *       ({@link Pool#splits()}) but does not restart it; the next {@code split} call of the same mode does, from the
 *       cursor. Crash before that point: the record still says RUNNING and the split resumes on
 *       {@code resumeSplits}.</li>
 *   <li><b>Release</b> ({@code Pool.releaseSplit}, under cpLock and destageLock; the clone's operation lock for
 *       the flip): check that no hole of the clone still resolves to data in the chain (else go back to step 2
 *       from that segment); clear the clone's backing, record its former sharing family (extension {@link Vdisk#ORIGIN_TAG}, for the
 *       check), drop the split record, free the former backing snapshot if it was hidden and this was its last
 *       dependent (cascading), and take one consistency point. Crash before the point: the record says RUNNING with
 *       the cursor at the end, so the resumed task only releases. After it: the clone has no backing and no record;
 *       nothing to recover.</li>
 * </ol>
 *
 * <p>Locks: {@code Pool.destageLock} &gt; clone's {@code mapLock} (write) &gt; each backing's {@code mapLock} (read,
 * one at a time: snapshots never change their maps) &gt; allocator. COPY's read of X and write of Y happen under
 * {@code destageLock} (not the map lock, so reads go on): from its allocation to its install Y is invisible to consistency
 * points and to the check, which would otherwise count it as leaked; the destager waits for one segment copy, about
 * the cost of one destage.
 */
final class Splitter {
    /** What {@link #fill} did with one segment. */
    enum Fill {
        /** Not a hole (written by the user, or filled before): left alone. */
        NOT_A_HOLE,
        /** A hole reading zeros through the whole chain: left a hole (it reads zeros without a backing too). */
        NOTHING,
        /** A hole over a ZERO entry of the chain: now ZERO. */
        ZERO,
        /** A hole over data: now mapped (shared or copied). */
        DATA
    }

    private final Pool pool;
    private final Vdisk clone;
    private final SplitMode mode;
    private final int segmentSize;
    private final int shift;
    /** COPY's one-segment buffer, used by the task's thread only. */
    private final ByteBuffer buf;

    Splitter(Pool pool, Vdisk clone, SplitMode mode) {
        this.pool = pool;
        this.clone = clone;
        this.mode = mode;
        this.segmentSize = pool.segmentSize();
        this.shift = Integer.numberOfTrailingZeros(segmentSize);
        this.buf = mode == SplitMode.COPY ? ByteBuffer.allocateDirect(segmentSize) : null;
    }

    Vdisk vdisk() {
        return clone;
    }

    SplitMode mode() {
        return mode;
    }

    /** Segments of the clone (its size rounded up). */
    long segments() {
        return (clone.sizeWithoutCheck() + segmentSize - 1) >>> shift;
    }

    /**
     * The smallest segment {@code >= from} mapped anywhere in the backing chain (the only places a hole can read
     * data or a ZERO entry can shadow data), or -1. Skips missing subtrees, so sparse chains cost little.
     */
    long nextCandidate(long from) {
        return Vdisk.nextMappedInChain(clone.backing(), from, segments());
    }

    /**
     * Word0 of the first entry for {@code seg} along the backing chain that is not a hole ({@link MapEntry#HOLE} if
     * the chain reads zeros there), following {@code Vdisk.readMapped}'s rules.
     */
    long resolve(long seg) {
        for (Vdisk x = clone.backing(); x != null; x = x.backing()) {
            if ((seg << shift) >= x.sizeWithoutCheck()) {
                return MapEntry.HOLE;
            }
            long w;
            x.mapLock.readLock().lock();
            try {
                w = x.tree.lookup(seg);
            } finally {
                x.mapLock.readLock().unlock();
            }
            if (!MapEntry.isHole(w)) {
                return w;
            }
        }
        return MapEntry.HOLE;
    }

    private long lookup(long seg) {
        clone.mapLock.readLock().lock();
        try {
            return clone.tree.lookup(seg);
        } finally {
            clone.mapLock.readLock().unlock();
        }
    }

    /** Holes from {@code from} on that read data through the chain: the segments a COPY still has to write. */
    long segmentsToFill(long from) {
        long n = 0;
        for (long c = nextCandidate(from); c >= 0; c = nextCandidate(c + 1)) {
            if (MapEntry.isHole(lookup(c)) && MapEntry.isMapped(resolve(c))) {
                n++;
            }
        }
        return n;
    }

    /**
     * The first hole that still reads data through the chain, or -1 when the backing is no longer needed. The caller
     * holds {@code Pool.destageLock}, so no map changes meanwhile (and holes never come back).
     */
    long firstHoleReadingData() {
        for (long c = nextCandidate(0); c >= 0; c = nextCandidate(c + 1)) {
            if (MapEntry.isHole(lookup(c)) && MapEntry.isMapped(resolve(c))) {
                return c;
            }
        }
        return -1;
    }

    /**
     * Fills segment {@code seg} if it is still a hole over the chain's data or zeros (step 2 of the protocol).
     *
     * @throws OutOfSpaceException when the segments it needs (COPY: the data segment; both: indirect blocks of a path
     *     copy) cannot be reserved; nothing changed
     */
    Fill fill(long seg) {
        int height;
        long w;
        clone.mapLock.readLock().lock();
        try {
            w = clone.tree.lookup(seg);
            height = clone.tree.height();
        } finally {
            clone.mapLock.readLock().unlock();
        }
        if (!MapEntry.isHole(w)) {
            return Fill.NOT_A_HOLE;
        }
        long r = resolve(seg);
        if (MapEntry.isHole(r)) {
            return Fill.NOTHING;
        }
        boolean data = MapEntry.isMapped(r);
        boolean copy = data && mode == SplitMode.COPY;
        Allocator alloc = pool.allocator();
        int reserved = height + (copy ? 1 : 0);
        if (!alloc.tryReserve(reserved)) {
            throw new OutOfSpaceException(mode + " split of clone " + clone.name() + " at segment " + seg,
                    alloc.usage().available() * segmentSize, (long) reserved * segmentSize);
        }
        long y = 0;
        try {
            // Under destageLock from the allocation of Y to its install: nothing that looks at the whole pool (a
            // consistency point, the check) ever sees Y counted but unreferenced, and no destage of this segment
            // runs between the hole test and the install. The copy costs about what one destage costs.
            pool.destageLock().lock();
            try {
                pool.checkOpen();
                if (clone.isDeleted() || clone.backing() == null || !MapEntry.isHole(lookup(seg))) {
                    return Fill.NOT_A_HOLE; // a user write won (or the clone went away)
                }
                if (copy) {
                    pool.data().readFully(buf.clear(), MapEntry.vbn(r) << shift);
                    y = alloc.allocate(true, segmentSize);
                    reserved--;
                    pool.data().writeFully(buf.flip(), y << shift);
                }
                clone.mapLock.writeLock().lock();
                try {
                    if (!MapEntry.isHole(clone.tree.lookup(seg))) {
                        return Fill.NOT_A_HOLE;
                    }
                    long word = !data ? MapEntry.ZERO : copy ? MapEntry.mapped(y) : MapEntry.mapped(MapEntry.vbn(r));
                    if (data && !copy) {
                        alloc.incref(MapEntry.vbn(r));
                    }
                    clone.tree.set(seg, word, (int) clone.epoch(), alloc);
                    int created = clone.tree.lastCreated();
                    int fromReservation = Math.min(created, reserved);
                    reserved -= fromReservation;
                    alloc.nodesCreated(created, fromReservation);
                    y = 0;
                    return data ? Fill.DATA : Fill.ZERO;
                } finally {
                    clone.mapLock.writeLock().unlock();
                }
            } finally {
                pool.destageLock().unlock();
            }
        } finally {
            if (y != 0) {
                alloc.decref(y);
            }
            alloc.unreserve(reserved);
        }
    }
}
