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

    /** Made on first use: a snapshot never writes, and 64 locks plus 8 KiB of counts were 16 KiB of heap each. */
    private volatile State state;

    private static final class State {
        final ReentrantReadWriteLock[] gates = new ReentrantReadWriteLock[GATES];
        final AtomicLongArray inPlaceCounts = new AtomicLongArray(GATES * 16);

        State() {
            for (int i = 0; i < GATES; i++) {
                gates[i] = new ReentrantReadWriteLock();
            }
        }
    }

    private State state() {
        State s = state;
        if (s == null) {
            synchronized (this) {
                s = state;
                if (s == null) {
                    s = new State();
                    state = s;
                }
            }
        }
        return s;
    }

    /** The gate of segment {@code seg}. */
    static int of(long seg) {
        return (int) (seg & (GATES - 1));
    }

    ReentrantReadWriteLock.ReadLock shared(int gate) {
        return state().gates[gate].readLock();
    }

    ReentrantReadWriteLock.WriteLock exclusive(int gate) {
        return state().gates[gate].writeLock();
    }

    /** In-place writes in flight through {@code gate} (none before the first gate was taken). */
    long inFlight(int gate) {
        State s = state;
        return s == null ? 0 : s.inPlaceCounts.get(16 * gate);
    }

    /** In-place writes completed through {@code gate} so far. */
    long completed(int gate) {
        State s = state;
        return s == null ? 0 : s.inPlaceCounts.get(16 * gate + 8);
    }

    void beginInPlace(int gate) {
        state().inPlaceCounts.getAndIncrement(16 * gate);
    }

    /** Counts the write completed before it leaves the in-flight count: see {@link VdiskReads}. */
    void endInPlace(int gate) {
        State s = state();
        s.inPlaceCounts.getAndIncrement(16 * gate + 8);
        s.inPlaceCounts.getAndDecrement(16 * gate);
    }
}
