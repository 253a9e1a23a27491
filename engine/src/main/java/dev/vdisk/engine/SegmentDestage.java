package dev.vdisk.engine;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.core.GuardedBy;
import dev.vdisk.engine.format.MapEntry;
import dev.vdisk.engine.io.DataSpace;
import dev.vdisk.engine.journal.Journal;
import dev.vdisk.engine.map.StoreMap;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Applies one of a vdisk's dirty segments to the pool (the destager's work, under Pool.destageLock): in place when
 * the mapped segment is exclusively ours, else into a new segment built from the old content (zeros for holes)
 * overlaid with the dirty blocks, then the map is updated. Only journal records already durable are applied, so the
 * pool never holds data the journal could lose.
 */
final class SegmentDestage {
    private static final int BLOCK = Slab.BLOCK;

    private final Vdisk owner;
    private final DataSpace data;
    private final Allocator alloc;
    private final Slab slab;
    private final Journal journal;
    private final Zeros zeros;
    private final PointerHolds holds;
    private final StoreMap map;
    private final ChangesTable table;
    private final TouchedSegments touched;
    private final ChangeSet changes;
    private final ChainReader chain;
    private final int segmentSize;
    private final int segmentShift;
    private final int blocksPerSegment;

    SegmentDestage(
            Vdisk owner,
            VdiskServices svc,
            StoreMap map,
            ChangesTable table,
            TouchedSegments touched,
            ChangeSet changes,
            ChainReader chain) {
        this.owner = owner;
        this.data = svc.data();
        this.alloc = svc.alloc();
        this.slab = svc.slab();
        this.journal = svc.journal();
        this.zeros = svc.zeros();
        this.holds = svc.holds();
        this.map = map;
        this.table = table;
        this.touched = touched;
        this.changes = changes;
        this.chain = chain;
        this.segmentSize = svc.segmentSize();
        this.segmentShift = Integer.numberOfTrailingZeros(segmentSize);
        this.blocksPerSegment = segmentSize / BLOCK;
    }

    /** Destages every entry of the table on the caller's thread; no new entries may appear meanwhile. */
    @GuardedBy("Pool.destageLock")
    void destageAll(ByteBuffer staging) {
        while (!table.isEmpty()) {
            for (DirtySegment ds : table.entries()) {
                destage(ds, staging, true);
            }
        }
    }

    /**
     * Destages {@code ds}; with {@code wait} false, returns false (leaving {@code ds} queued) instead of waiting for
     * an fsync when its newest record is not durable yet.
     *
     * @param staging one segment of direct memory owned by the destager
     */
    @GuardedBy("Pool.destageLock")
    boolean destage(DirtySegment ds, ByteBuffer staging, boolean wait) {
        ds.lock.lock();
        try {
            if (ds.dead) {
                ds.queued = false;
                return true;
            }
            if (!wait && ds.maxSeq > journal.durableSeq()) {
                return false;
            }
            ds.queued = false;
            journal.awaitDurable(ds.maxSeq);
            long seg = ds.index;
            long w0 = map.lookup(seg);
            long oldVbn = MapEntry.vbn(w0);
            boolean exclusive;
            map.lock().readLock().lock();
            try {
                // a segment a replayable pointer names keeps the bytes the pointer's CRC names: copy on write
                exclusive = map.tree().exclusivelyMapped(seg, alloc) && !holds.holds(oldVbn);
            } finally {
                map.lock().readLock().unlock();
            }
            long segPos = oldVbn << segmentShift;
            changes.mark(seg);
            touched.mark(seg); // the map or the data changes now, under destageLock; a crash before the next point
            // completes may also replay this entry's records
            if (ds.dirtyBlocks == 0) {
                if (ds.baseZero && oldVbn != 0) {
                    setEntry(seg, MapEntry.ZERO, ds);
                    alloc.decref(oldVbn);
                } else if (ds.baseZero && MapEntry.isHole(w0) && map.backing() != null) {
                    setEntry(seg, MapEntry.ZERO, ds);
                }
            } else if (exclusive && !ds.baseZero) {
                writeRunsInPlace(ds, segPos, staging);
            } else {
                buildSegment(ds, w0, staging);
                if (exclusive) {
                    data.writeFully(staging.clear(), segPos);
                } else {
                    long vbn =
                            ds.reservation > 0 ? alloc.allocate(true, segmentSize) : alloc.allocate(false, segmentSize);
                    if (ds.reservation > 0) {
                        ds.reservation--;
                    }
                    data.writeFully(staging.clear(), vbn << segmentShift);
                    setEntry(seg, MapEntry.mapped(vbn), ds);
                    if (oldVbn != 0) {
                        alloc.decref(oldVbn);
                    }
                }
            }
            slab.release(ds.slots, 0, ds.slots.length);
            Arrays.fill(ds.slots, DirtySegment.CLEAN);
            ds.dirtyBlocks = 0;
            ds.baseZero = false;
            alloc.unreserve(ds.reservation);
            ds.reservation = 0;
            ds.dead = true;
            table.remove(ds);
            return true;
        } finally {
            ds.lock.unlock();
        }
    }

    /** Sets a map entry, accounting indirect blocks it created against {@code ds}'s reservation. */
    @GuardedBy("ds.lock")
    private void setEntry(long seg, long word0, DirtySegment ds) {
        map.lock().writeLock().lock();
        try {
            map.tree().set(seg, word0, (int) owner.epoch(), alloc);
            int created = map.tree().lastCreated();
            int fromReservation = Math.min(created, ds.reservation);
            ds.reservation -= fromReservation;
            alloc.nodesCreated(created, fromReservation);
        } finally {
            map.lock().writeLock().unlock();
        }
    }

    @GuardedBy("ds.lock")
    private void writeRunsInPlace(DirtySegment ds, long segPos, ByteBuffer staging) {
        ByteBuffer memory = slab.memory();
        int b = 0;
        while (b < blocksPerSegment) {
            if (ds.slots[b] == DirtySegment.CLEAN) {
                b++;
                continue;
            }
            int first = b;
            boolean consecutive = ds.slots[b] >= 0;
            while (b < blocksPerSegment && ds.slots[b] != DirtySegment.CLEAN) {
                consecutive &= ds.slots[b] == ds.slots[first] + (b - first);
                b++;
            }
            int len = (b - first) * BLOCK;
            if (consecutive) {
                // the run's blocks lie next to each other in the slab (a whole-segment write): write them from there
                data.writeFully(memory.slice(Slab.offsetOf(ds.slots[first]), len), segPos + (long) first * BLOCK);
                continue;
            }
            staging.clear();
            for (int k = first; k < b; k++) {
                copyBlock(ds.slots[k], memory, staging, (k - first) * BLOCK);
            }
            staging.limit(len);
            data.writeFully(staging, segPos + (long) first * BLOCK);
        }
    }

    private void copyBlock(int slot, ByteBuffer memory, ByteBuffer staging, int at) {
        if (slot >= 0) {
            staging.put(at, memory, Slab.offsetOf(slot), BLOCK);
        } else {
            staging.put(at, zeros.segment(), 0, BLOCK);
        }
    }

    @GuardedBy("ds.lock")
    private void buildSegment(DirtySegment ds, long w0, ByteBuffer staging) {
        staging.clear();
        if (ds.baseZero || MapEntry.isZero(w0) || (MapEntry.isHole(w0) && map.backing() == null)) {
            zeros.fill(staging.duplicate(), segmentSize);
        } else if (MapEntry.isMapped(w0)) {
            data.readFully(staging.duplicate(), MapEntry.vbn(w0) << segmentShift);
        } else {
            chain.read(map, ds.index, 0, staging.duplicate()); // a hole of a clone: the backing chain's content
        }
        ByteBuffer memory = slab.memory();
        for (int b = 0; b < blocksPerSegment; b++) {
            if (ds.slots[b] != DirtySegment.CLEAN) {
                copyBlock(ds.slots[b], memory, staging, b * BLOCK);
            }
        }
    }
}
