package dev.vdisk.engine;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The segments that replayable pointer records name (write anywhere, docs/architecture/write-path.md): each new
 * segment a pointer record installed and the segment it replaced, with the newest such record's sequence number. While
 * a segment is named here it is never reused (the allocator holds it when its count reaches 0) and never written in
 * place (the destager copies on write), so a replayed pointer finds exactly the bytes it was written with. A name
 * leaves once a consistency point whose replay position is past its record is durable: replay from that point, or
 * from any later one, can no longer apply the record.
 *
 * <p>Thread-safe without a lock of its own: named by writers under their vdisk's map lock, read by the allocator under
 * its lock and by the destager, retired by the consistency point under {@code Pool.destageLock}.
 */
final class PointerHolds {
    private final ConcurrentHashMap<Long, Long> seqByVbn = new ConcurrentHashMap<>();
    /**
     * Read: a pointer write between allocating its segment and setting the map entry. Write: the consistency check,
     * which must not see a segment counted but not yet mapped (taken after {@code Pool.cpLock}, before
     * {@code Pool.destageLock}).
     */
    private final ReentrantReadWriteLock inFlight = new ReentrantReadWriteLock();

    /** Held by a pointer write from its allocation to its map update. */
    Lock writing() {
        return inFlight.readLock();
    }

    /** Held by the consistency check: no pointer write is between allocation and map update. */
    Lock quiet() {
        return inFlight.writeLock();
    }

    /** Names {@code vbn} by the pointer record {@code seq} (0 is no segment and is ignored). */
    void name(long vbn, long seq) {
        if (vbn != 0) {
            seqByVbn.merge(vbn, seq, Math::max);
        }
    }

    /** Whether a replayable pointer record names {@code vbn}. */
    boolean holds(long vbn) {
        return !seqByVbn.isEmpty() && seqByVbn.containsKey(vbn);
    }

    /** A point with replay position {@code replaySeq} is durable: records below it can no longer be replayed. */
    void retireBelow(long replaySeq) {
        if (!seqByVbn.isEmpty()) {
            seqByVbn.values().removeIf(seq -> seq < replaySeq);
        }
    }

    /** How many segments are named (tests, metrics). */
    int size() {
        return seqByVbn.size();
    }
}
