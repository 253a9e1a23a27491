package dev.vdisk.engine;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One vdisk's per-segment gates (striped by segment index) between in-place writes and the changes table: an in-place
 * write holds its segment's gate shared while it decides and writes, and a changes-table entry is only created under
 * the gate held exclusively, so no journal write to the segment starts while an in-place write to it is under way, and
 * none is in flight when one decides.
 *
 * <p>Per gate, 16 longs apart (own cache lines): at {@code 16 g} the in-place writes in flight, at {@code 16 g + 8}
 * those completed. A page-cache write is not atomic against a concurrent read of the same page (the kernel copies into
 * an up-to-date page that readers copy from without a lock), so reads of a segment without an entry check these and
 * retry rather than return a torn block ({@link VdiskReads}).
 */
final class SegmentGates {
    private static final int GATES = 64;

    private final ReentrantReadWriteLock[] gates = new ReentrantReadWriteLock[GATES];
    private final AtomicLongArray inPlaceCounts = new AtomicLongArray(GATES * 16);

    SegmentGates() {
        for (int i = 0; i < GATES; i++) {
            gates[i] = new ReentrantReadWriteLock();
        }
    }

    /** The gate of segment {@code seg}. */
    static int of(long seg) {
        return (int) (seg & (GATES - 1));
    }

    ReentrantReadWriteLock.ReadLock shared(int gate) {
        return gates[gate].readLock();
    }

    ReentrantReadWriteLock.WriteLock exclusive(int gate) {
        return gates[gate].writeLock();
    }

    /** In-place writes in flight through {@code gate}. */
    long inFlight(int gate) {
        return inPlaceCounts.get(16 * gate);
    }

    /** In-place writes completed through {@code gate} so far. */
    long completed(int gate) {
        return inPlaceCounts.get(16 * gate + 8);
    }

    void beginInPlace(int gate) {
        inPlaceCounts.getAndIncrement(16 * gate);
    }

    /** Counts the write completed before it leaves the in-flight count: see {@link VdiskReads}. */
    void endInPlace(int gate) {
        inPlaceCounts.getAndIncrement(16 * gate + 8);
        inPlaceCounts.getAndDecrement(16 * gate);
    }
}
