package dev.vdisk.engine;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.core.GuardedBy;
import dev.vdisk.engine.error.OutOfSpaceException;
import dev.vdisk.engine.format.MapEntry;
import dev.vdisk.engine.journal.Journal;
import dev.vdisk.engine.journal.JournalRecord;
import dev.vdisk.engine.map.StoreMap;
import java.nio.ByteBuffer;
import java.util.TreeSet;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A vdisk's discards: one journal record per range (up to 1 GiB), under the operation lock held exclusively so that
 * discards are ordered against every write. Whole segments return to the zero state (their space is freed once
 * destaged and checkpointed); partial segments get zero blocks in their changes-table entries.
 */
final class Discards {
    private static final int BLOCK = Slab.BLOCK;
    private static final int BLOCK_SHIFT = 12;
    /** Longest discard one journal record describes (its length field is 32 bits). */
    private static final long MAX_DISCARD_RECORD = 1L << 30;

    private final Vdisk owner;
    private final Slab slab;
    private final Journal journal;
    private final Zeros zeros;
    private final Allocator alloc;
    private final StoreMap map;
    private final ChangesTable table;
    private final TouchedSegments touched;
    private final ReentrantReadWriteLock opLock;
    private final PointerReplay pointers;
    private final int segmentSize;
    private final int segmentShift;

    Discards(
            Vdisk owner,
            VdiskServices svc,
            StoreMap map,
            ChangesTable table,
            TouchedSegments touched,
            PointerReplay pointers,
            ReentrantReadWriteLock opLock) {
        this.pointers = pointers;
        this.owner = owner;
        this.slab = svc.slab();
        this.journal = svc.journal();
        this.zeros = svc.zeros();
        this.alloc = svc.alloc();
        this.map = map;
        this.table = table;
        this.touched = touched;
        this.opLock = opLock;
        this.segmentSize = svc.segmentSize();
        this.segmentShift = Integer.numberOfTrailingZeros(segmentSize);
    }

    /** Makes {@code [offset, offset+length)} read zeros; the caller checked the range (length > 0). */
    void discard(long offset, long length) {
        int[] slots = ChangesTable.scratchSlots();
        slab.acquire(2, slots);
        opLock.writeLock().lock();
        try {
            owner.checkLive();
            long pos = offset;
            long end = offset + length;
            while (pos < end) {
                long n = Math.min(MAX_DISCARD_RECORD, end - pos);
                long seq = journal.append(owner.id(), pos, (int) n, JournalRecord.TYPE_DISCARD, null);
                applyWithoutLocking(pos, n, seq, slots);
                pos += n;
            }
        } finally {
            opLock.writeLock().unlock();
            slab.release(slots, 0, 2);
        }
    }

    /** Re-applies journal record {@code seq} (a discard) at open; records beyond the size or of a deleted vdisk drop. */
    void replay(long seq, long offset, long length) {
        if (owner.isDeleted() || offset + length > map.size() || length == 0) {
            return;
        }
        int[] slots = ChangesTable.scratchSlots();
        slab.acquire(2, slots);
        opLock.writeLock().lock();
        try {
            if (!pointers.supersedesAny()) {
                applyWithoutLocking(offset, length, seq, slots);
                return;
            }
            // pieces in segments a later pointer record rewrote whole are already in its segment: skip them
            long end = offset + length;
            long from = offset;
            while (from < end) {
                long seg = from >>> segmentShift;
                long segEnd = Math.min(end, (seg + 1) << segmentShift);
                if (pointers.supersedes(seg, seq)) {
                    from = segEnd;
                    continue;
                }
                long to = segEnd;
                while (to < end && !pointers.supersedes(to >>> segmentShift, seq)) {
                    to = Math.min(end, ((to >>> segmentShift) + 1) << segmentShift);
                }
                applyWithoutLocking(from, to - from, seq, slots);
                from = to;
            }
        } finally {
            opLock.writeLock().unlock();
            slab.release(slots, 0, 2);
        }
    }

    @GuardedBy("opLock.writeLock")
    private void applyWithoutLocking(long offset, long length, long seq, int[] slots) {
        long end = offset + length;
        long firstSeg = offset >>> segmentShift;
        long lastSeg = (end - 1) >>> segmentShift;
        long fullFrom = (offset & (segmentSize - 1)) == 0 ? firstSeg : firstSeg + 1;
        long fullTo = (end & (segmentSize - 1)) == 0 ? lastSeg + 1 : lastSeg; // exclusive
        if ((offset & (segmentSize - 1)) != 0) {
            int from = (int) (offset & (segmentSize - 1));
            int to = firstSeg == lastSeg && (end & (segmentSize - 1)) != 0
                    ? (int) (end & (segmentSize - 1))
                    : segmentSize;
            zeroPartial(firstSeg, from, to, seq, slots);
        }
        if ((end & (segmentSize - 1)) != 0 && (lastSeg != firstSeg || (offset & (segmentSize - 1)) == 0)) {
            zeroPartial(lastSeg, 0, (int) (end & (segmentSize - 1)), seq, slots);
        }
        if (fullFrom < fullTo) {
            TreeSet<Long> segs = new TreeSet<>();
            map.lock().readLock().lock();
            try {
                map.tree().forEachMapped(fullFrom, fullTo, segs::add);
            } finally {
                map.lock().readLock().unlock();
            }
            for (Long s : table.segments()) {
                if (s >= fullFrom && s < fullTo) {
                    segs.add(s);
                }
            }
            // a clone's holes over backing data must become zero entries (a hole would show the backing again)
            for (StoreMap x = map.backing(); x != null; x = x.backing()) {
                x.lock().readLock().lock();
                try {
                    x.tree().forEachMapped(fullFrom, fullTo, segs::add);
                } finally {
                    x.lock().readLock().unlock();
                }
            }
            for (long s : segs) {
                discardWhole(s, seq);
            }
        }
    }

    private void discardWhole(long seg, long seq) {
        DirtySegment ds = table.lockedEntry(seg);
        try {
            table.releaseBlocksWithoutLocking(ds);
            ds.noteSeqWithoutLocking(seq);
            touched.mark(seg);
            long w0 = map.lookup(seg);
            StoreMap backing = map.backing();
            if (!MapEntry.isMapped(w0) && !(MapEntry.isHole(w0) && backing != null && backing.inUse(seg))) {
                table.dropWithoutLocking(ds);
                return;
            }
            ds.baseZero = true;
            ds.needsAlloc = true;
            table.enqueueWithoutLocking(ds);
        } finally {
            ds.lock.unlock();
        }
    }

    /** Zeros bytes {@code [from, to)} of segment {@code seg}. */
    private void zeroPartial(long seg, int from, int to, long seq, int[] slots) {
        DirtySegment ds = table.lockedEntry(seg);
        try {
            boolean baseReadsZero = ds.baseZero || !map.inUse(seg);
            ByteBuffer memory = slab.memory();
            for (int b = from >>> BLOCK_SHIFT; b <= (to - 1) >>> BLOCK_SHIFT; b++) {
                int bs = Math.max(from, b * BLOCK);
                int be = Math.min(to, (b + 1) * BLOCK);
                int slot = ds.slots[b];
                if (be - bs == BLOCK) {
                    if (slot >= 0) {
                        slab.release(slot);
                    }
                    int next = baseReadsZero ? DirtySegment.CLEAN : DirtySegment.ZEROED;
                    if (slot != DirtySegment.CLEAN && next == DirtySegment.CLEAN) {
                        ds.dirtyBlocks--;
                    } else if (slot == DirtySegment.CLEAN && next != DirtySegment.CLEAN) {
                        ds.dirtyBlocks++;
                    }
                    ds.slots[b] = next;
                } else if (slot >= 0) {
                    zeros.fill(memory.slice(Slab.offsetOf(slot) + (bs - b * BLOCK), be - bs), be - bs);
                } else if (slot == DirtySegment.CLEAN && !baseReadsZero) {
                    int fresh = slots[0] >= 0 ? slots[0] : slots[1];
                    if (slots[0] >= 0) {
                        slots[0] = -1;
                    } else {
                        slots[1] = -1;
                    }
                    table.fillBaseWithoutLocking(ds, b, slot, fresh);
                    zeros.fill(memory.slice(Slab.offsetOf(fresh) + (bs - b * BLOCK), be - bs), be - bs);
                    ds.slots[b] = fresh;
                    ds.dirtyBlocks++;
                }
            }
            ds.noteSeqWithoutLocking(seq);
            touched.mark(seg);
            if (ds.isEmptyWithoutLocking()) {
                table.dropWithoutLocking(ds);
                return;
            }
            if (!table.reserveWithoutLocking(ds)) {
                throw new OutOfSpaceException(
                        "discard in shared segment " + seg + " of vdisk " + owner.name(),
                        alloc.usage().available() * segmentSize,
                        segmentSize);
            }
            table.enqueueWithoutLocking(ds);
        } finally {
            ds.lock.unlock();
        }
    }
}
