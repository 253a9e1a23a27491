package dev.vdisk.engine;

import dev.vdisk.engine.core.GuardedBy;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The segments of one vdisk that a crash could still undo or misplace a write in place to: those with a journal record
 * that replay may apply, or a map change (a destage, a split's fill) not yet in a completed consistency point. A write
 * may go straight to the data space only where none of that exists ({@link Vdisk}'s in-place path).
 *
 * <p>Marks land in the current generation. A consistency point {@link #close closes} it when it takes its replay
 * position and {@link #seal seals} it with the journal's next sequence number at that moment: every record marked in it
 * is older, every map change in it is in the point's catalog. Once a completed point's replay position reaches that
 * number, replay can apply none of the generation's records and the durable maps hold its changes: the point
 * {@link #retire}s it. The replay position can lag behind (a dirty segment of another vdisk still live when a point
 * starts holds it back), so a generation can outlive several points; "since the start of the last completed point"
 * would not be enough.
 *
 * <p>Marks and lookups are lock-free (a paged bitmap of atomic words per generation); close, seal and retire run under
 * Pool.destageLock.
 */
final class TouchedSegments {
    private static final int PAGE_WORDS = 64;
    private static final int PAGE_SHIFT = 12; // 64 words of 64 bits

    /** One generation's segments; {@link #endSeq} is unset (MAX_VALUE) until its point sealed it. */
    private static final class Generation {
        final ConcurrentHashMap<Long, AtomicLongArray> pages = new ConcurrentHashMap<>();
        volatile long endSeq = Long.MAX_VALUE;

        void set(long seg) {
            AtomicLongArray p = pages.get(seg >>> PAGE_SHIFT);
            if (p == null) {
                p = pages.computeIfAbsent(seg >>> PAGE_SHIFT, k -> new AtomicLongArray(PAGE_WORDS));
            }
            int w = (int) (seg >>> 6) & (PAGE_WORDS - 1);
            long bit = 1L << (seg & 63);
            if ((p.get(w) & bit) == 0) {
                p.getAndAccumulate(w, bit, (a, b) -> a | b);
            }
        }

        boolean has(long seg) {
            AtomicLongArray p = pages.get(seg >>> PAGE_SHIFT);
            return p != null && (p.get((int) (seg >>> 6) & (PAGE_WORDS - 1)) & (1L << (seg & 63))) != 0;
        }
    }

    private volatile Generation current = new Generation();
    /** Closed generations, oldest first. */
    private final ConcurrentLinkedDeque<Generation> closed = new ConcurrentLinkedDeque<>();
    /** The generation the running point closed, to be sealed; null if it closed none. */
    @GuardedBy("Pool.destageLock")
    private Generation closing;

    /** Segment {@code seg} got a journal record or a map change. Call after the append or the change. */
    void mark(long seg) {
        current.set(seg);
    }

    /** True if a mark of {@code seg} is in a generation not yet retired. */
    boolean has(long seg) {
        // current first: a close adds the old generation to closed before replacing current, so a lookup that
        // already sees the new current sees the old one in closed
        if (current.has(seg)) {
            return true;
        }
        for (Generation g : closed) {
            if (g.has(seg)) {
                return true;
            }
        }
        return false;
    }

    /** A point takes its replay position: marks from now on go to a new generation. Then {@link #seal}. */
    @GuardedBy("Pool.destageLock")
    void close() {
        Generation old = current;
        if (old.pages.isEmpty()) {
            closing = null; // nothing to close; a racing mark lands in it, and it stays current
            return;
        }
        closed.addLast(old);
        current = new Generation();
        closing = old;
    }

    /** Seals the generation closed last with the journal's next sequence number, read after the close. */
    @GuardedBy("Pool.destageLock")
    void seal(long nextSeq) {
        if (closing != null) {
            closing.endSeq = nextSeq;
            closing = null;
        }
    }

    /** A point with replay position {@code replaySeq} completed: drops the generations it covers. */
    @GuardedBy("Pool.destageLock")
    void retire(long replaySeq) {
        if (!closed.isEmpty()) { // a snapshot never has one: skip the deque's bulk removal
            closed.removeIf(g -> g.endSeq <= replaySeq);
        }
    }
}
