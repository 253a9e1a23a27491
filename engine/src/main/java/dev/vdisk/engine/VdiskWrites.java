package dev.vdisk.engine;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.error.OutOfSpaceException;
import dev.vdisk.engine.journal.Journal;
import dev.vdisk.engine.journal.JournalRecord;
import dev.vdisk.engine.map.StoreMap;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A vdisk's write path: each segment piece goes in place ({@link InPlaceWriter}) when it may, else it is appended to
 * the journal and copied into the segment's changes-table entry, which is queued on the destager. Also the replay of
 * journalled writes at open (the same path without the append).
 */
final class VdiskWrites {
    private final Vdisk owner;
    private final Slab slab;
    private final Allocator alloc;
    private final Journal journal;
    private final PoolHooks pool;
    private final StoreMap map;
    private final ChangesTable table;
    private final TouchedSegments touched;
    private final InPlaceWriter inPlace;
    private final PointerWriter pointers;
    private final PointerReplay pointerReplay;
    private final ReentrantReadWriteLock opLock;
    private final int segmentSize;
    private final int segmentShift;

    VdiskWrites(
            Vdisk owner,
            VdiskServices svc,
            StoreMap map,
            ChangesTable table,
            TouchedSegments touched,
            InPlaceWriter inPlace,
            PointerWriter pointers,
            PointerReplay pointerReplay,
            ReentrantReadWriteLock opLock) {
        this.pointers = pointers;
        this.pointerReplay = pointerReplay;
        this.owner = owner;
        this.slab = svc.slab();
        this.alloc = svc.alloc();
        this.journal = svc.journal();
        this.pool = svc.pool();
        this.map = map;
        this.table = table;
        this.touched = touched;
        this.inPlace = inPlace;
        this.opLock = opLock;
        this.segmentSize = svc.segmentSize();
        this.segmentShift = Integer.numberOfTrailingZeros(segmentSize);
    }

    /** Writes all of {@code src} at {@code offset} (advancing its position); the caller checked the range. */
    void write(long offset, ByteBuffer src) {
        int len = src.remaining();
        int limit = src.limit();
        int end = src.position() + len;
        try {
            long pos = offset;
            while (src.position() < end) {
                long seg = pos >>> segmentShift;
                int inSeg = (int) (pos & (segmentSize - 1));
                int chunk = Math.min(end - src.position(), segmentSize - inSeg);
                src.limit(src.position() + chunk);
                writeSegment(seg, inSeg, pos, src, -1);
                src.position(src.position() + chunk);
                pos += chunk;
            }
        } finally {
            src.limit(limit);
        }
    }

    /** Re-applies journal record {@code seq} (a write) at open; records beyond the size or of a deleted vdisk drop. */
    void replay(long seq, long offset, ByteBuffer payload) {
        if (owner.isDeleted() || offset + payload.remaining() > map.size()) {
            return;
        }
        long pos = offset;
        int end = payload.limit();
        while (payload.position() < end) {
            long seg = pos >>> segmentShift;
            int inSeg = (int) (pos & (segmentSize - 1));
            int chunk = Math.min(end - payload.position(), segmentSize - inSeg);
            payload.limit(payload.position() + chunk);
            if (!pointerReplay.supersedes(seg, seq)) { // else a later pointer record's segment holds this piece
                writeSegment(seg, inSeg, pos, payload, seq);
            }
            payload.position(payload.position() + chunk);
            payload.limit(end);
            pos += chunk;
        }
    }

    /** Writes {@code src}'s remaining bytes (within one segment) without moving its position. */
    private void writeSegment(long seg, int inSeg, long pos, ByteBuffer src, long replaySeq) {
        if (replaySeq < 0 && (inPlace.tryWrite(seg, inSeg, src) || pointers.tryWrite(seg, inSeg, src))) {
            return;
        }
        int len = src.remaining();
        int nb = ((inSeg + len - 1) >>> 12) - (inSeg >>> 12) + 1;
        int[] slots = ChangesTable.scratchSlots();
        slab.acquire(nb, slots);
        try {
            for (int attempt = 0; ; attempt++) {
                if (tryWriteSegment(seg, inSeg, pos, src, replaySeq, slots)) {
                    return;
                }
                if (attempt >= 3 || !pool.checkpointToFreeSpace()) {
                    Allocator.Usage u = alloc.usage();
                    throw new OutOfSpaceException(
                            "write of " + len + " bytes at " + pos + " to vdisk " + owner.name(),
                            u.available() * segmentSize,
                            (1L + map.tree().height()) * segmentSize);
                }
            }
        } finally {
            slab.release(slots, 0, nb);
        }
    }

    private boolean tryWriteSegment(long seg, int inSeg, long pos, ByteBuffer src, long replaySeq, int[] slots) {
        opLock.readLock().lock();
        try {
            owner.checkLive();
            DirtySegment ds = table.lockedEntry(seg);
            try {
                if (!table.reserveWithoutLocking(ds)) {
                    return false;
                }
                long seq = replaySeq >= 0
                        ? replaySeq
                        : journal.append(owner.id(), pos, src.remaining(), JournalRecord.TYPE_WRITE, src);
                ds.noteSeqWithoutLocking(seq);
                touched.mark(seg); // after the append, under ds.lock: see TouchedSegments
                table.applyWithoutLocking(ds, inSeg, src, slots);
                table.enqueueWithoutLocking(ds);
                return true;
            } finally {
                ds.lock.unlock();
            }
        } finally {
            opLock.readLock().unlock();
        }
    }
}
