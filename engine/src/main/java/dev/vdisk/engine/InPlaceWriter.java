package dev.vdisk.engine;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.format.MapEntry;
import dev.vdisk.engine.io.DataSpace;
import dev.vdisk.engine.map.StoreMap;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A vdisk's in-place writes: a write piece goes straight to its mapped segment when a crash could neither undo nor
 * misplace it there (docs/architecture/write-path.md, "In-place writes"). Lock order as {@link Vdisk}'s: operation lock, then the
 * segment's gate, then the map lock.
 */
final class InPlaceWriter {
    private final Vdisk owner;
    private final DataSpace data;
    private final Allocator alloc;
    private final PoolHooks pool;
    private final StoreMap map;
    private final ChangesTable table;
    private final TouchedSegments touched;
    private final ChangeSet changes;
    private final SegmentGates gates;
    private final ReentrantReadWriteLock opLock;
    private final int segmentShift;
    /** Writes (per segment piece) that went straight to the data space. */
    private final LongAdder writes = new LongAdder();
    /** Tests: runs in an in-place write after it decided, before it writes (holding the segment's gate). */
    volatile Runnable beforeWrite = () -> {};

    InPlaceWriter(
            Vdisk owner,
            VdiskServices svc,
            StoreMap map,
            ChangesTable table,
            TouchedSegments touched,
            ChangeSet changes,
            SegmentGates gates,
            ReentrantReadWriteLock opLock) {
        this.owner = owner;
        this.data = svc.data();
        this.alloc = svc.alloc();
        this.pool = svc.pool();
        this.map = map;
        this.table = table;
        this.touched = touched;
        this.changes = changes;
        this.gates = gates;
        this.opLock = opLock;
        this.segmentShift = Integer.numberOfTrailingZeros(svc.segmentSize());
    }

    /**
     * Writes {@code src}'s remaining bytes (within segment {@code seg}, without moving its position) straight to the
     * mapped segment when a crash could neither undo nor misplace them there: the segment is exclusively mapped (the
     * destager would write it in place too), has no changes-table entry, no journal record replay could apply and no
     * map change a crash could lose ({@link TouchedSegments}), and its change bit is set (the destage that set it is in
     * a completed point, or it would still be touched; a crash cannot lose the mark a delta needs). False, having
     * written nothing, otherwise. Durable at the next {@link Vdisk#flush()} (which fsyncs the data space first).
     */
    boolean tryWrite(long seg, int inSeg, ByteBuffer src) {
        if (table.contains(seg) || touched.has(seg)) {
            return false; // the common refusals, without locks (the change set's lookup synchronises: once, below)
        }
        opLock.readLock().lock();
        try {
            owner.checkLive();
            int g = SegmentGates.of(seg);
            ReentrantReadWriteLock.ReadLock gate = gates.shared(g);
            gate.lock();
            try {
                // under the gate no entry for seg appears, so nothing journals, destages or remaps it meanwhile; an
                // entry destaged just before is gone from the table only after its destage marked seg touched
                if (table.contains(seg) || touched.has(seg) || !changes.has(seg)) {
                    return false;
                }
                long vbn;
                map.lock().readLock().lock();
                try {
                    if (!map.tree().exclusivelyMapped(seg, alloc)) {
                        return false;
                    }
                    vbn = MapEntry.vbn(map.tree().lookup(seg));
                } finally {
                    map.lock().readLock().unlock();
                }
                if (!pool.inPlaceAllowed()) { // after the reference counts were read: see Pool.inPlaceAllowed
                    return false;
                }
                // the entry cannot change without an entry in the table (gate), a discard or a snapshot (opLock), and
                // a split's fill only fills holes: no need to hold the map lock across the write
                beforeWrite.run();
                int p = src.position();
                gates.beginInPlace(g);
                try {
                    data.writeFully(src, (vbn << segmentShift) + inSeg);
                } finally {
                    gates.endInPlace(g);
                }
                src.position(p);
                writes.increment();
                return true;
            } finally {
                gate.unlock();
            }
        } finally {
            opLock.readLock().unlock();
        }
    }

    /** Writes that went straight to the data space so far (tests, metrics). */
    long writes() {
        return writes.sum();
    }
}
