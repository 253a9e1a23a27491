package dev.vdisk.engine;

import dev.vdisk.engine.core.GuardedBy;
import dev.vdisk.engine.map.StoreMap;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A vdisk's read path: each segment piece from its changes-table entry (dirty blocks from the slab, the rest from the
 * map), or from the map and its backing chain when it has none, never returning a block an in-place write tore.
 */
final class VdiskReads {
    private static final int BLOCK = Slab.BLOCK;
    private static final int BLOCK_SHIFT = 12;

    private final Slab slab;
    private final Zeros zeros;
    private final StoreMap map;
    private final ChangesTable table;
    private final SegmentGates gates;
    private final ChainReader chain;
    private final int segmentSize;
    private final int segmentShift;

    VdiskReads(VdiskServices svc, StoreMap map, ChangesTable table, SegmentGates gates, ChainReader chain) {
        this.slab = svc.slab();
        this.zeros = svc.zeros();
        this.map = map;
        this.table = table;
        this.gates = gates;
        this.chain = chain;
        this.segmentSize = svc.segmentSize();
        this.segmentShift = Integer.numberOfTrailingZeros(segmentSize);
    }

    /** Reads {@code n} bytes at {@code offset} into {@code dst} (advancing its position); the caller checked the range. */
    void read(long offset, ByteBuffer dst, int n) {
        int limit = dst.limit();
        int end = dst.position() + n;
        try {
            long pos = offset;
            while (dst.position() < end) {
                long seg = pos >>> segmentShift;
                int inSeg = (int) (pos & (segmentSize - 1));
                int chunk = Math.min(end - dst.position(), segmentSize - inSeg);
                dst.limit(dst.position() + chunk);
                readSegment(seg, inSeg, dst);
                pos += chunk;
            }
        } finally {
            dst.limit(limit);
        }
    }

    private void readSegment(long seg, int inSeg, ByteBuffer dst) {
        DirtySegment ds = table.get(seg);
        if (ds != null) {
            ds.lock.lock();
            try {
                if (!ds.dead) {
                    readThroughEntryWithoutLocking(ds, inSeg, dst);
                    return;
                }
            } finally {
                ds.lock.unlock();
            }
        }
        readMappedUntorn(seg, inSeg, dst);
    }

    /**
     * Reads a segment without a changes-table entry, where an in-place write may be under way: a read that overlapped
     * one of its gate's in-place writes is repeated (a few times, then under the gate held exclusively, which waits
     * for them), so a 4 KiB block is never returned half written.
     */
    private void readMappedUntorn(long seg, int inSeg, ByteBuffer dst) {
        int g = SegmentGates.of(seg);
        int pos = dst.position();
        for (int attempt = 0; attempt < 4; attempt++) {
            long done = gates.completed(g);
            if (gates.inFlight(g) == 0) {
                chain.read(map, seg, inSeg, dst);
                if (gates.inFlight(g) == 0 && gates.completed(g) == done) {
                    return;
                }
                dst.position(pos);
            }
            Thread.onSpinWait();
        }
        ReentrantReadWriteLock.WriteLock gate = gates.exclusive(g);
        gate.lock();
        try {
            chain.read(map, seg, inSeg, dst);
        } finally {
            gate.unlock();
        }
    }

    @GuardedBy("ds.lock")
    private void readThroughEntryWithoutLocking(DirtySegment ds, int inSeg, ByteBuffer dst) {
        ByteBuffer memory = slab.memory();
        int end = dst.limit();
        int off = inSeg;
        while (dst.position() < end) {
            int b = off >>> BLOCK_SHIFT;
            int bo = off & (BLOCK - 1);
            int n = Math.min(BLOCK - bo, end - dst.position());
            int slot = ds.slots[b];
            if (slot >= 0) {
                dst.put(dst.position(), memory, Slab.offsetOf(slot) + bo, n);
                dst.position(dst.position() + n);
            } else if (slot == DirtySegment.ZEROED || ds.baseZero) {
                zeros.fill(dst, n);
            } else {
                // extend over following clean blocks and read them from the map in one go
                int run = n;
                while (dst.position() + run < end && ds.slots[(off + run) >>> BLOCK_SHIFT] == DirtySegment.CLEAN) {
                    run = Math.min(run + BLOCK, end - dst.position());
                }
                n = run;
                dst.limit(dst.position() + n);
                try {
                    chain.read(map, ds.index, off, dst);
                } finally {
                    dst.limit(end);
                }
            }
            off += n;
        }
    }
}
