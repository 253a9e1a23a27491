package dev.vdisk.engine.alloc;

import java.util.function.LongPredicate;

/**
 * The way back to free of an {@link Allocator}'s segments whose count reached 0 (marked {@link RefCounts#PENDING}):
 * reusable only after two more consistency points, so both superblock slots always describe intact trees, and held
 * out of that countdown while a replayable journal record names them ({@link HeldSegments}). Not thread-safe: the
 * {@link Allocator} calls it under its lock (except {@link #holdWhile}, set once).
 */
final class ReuseCountdown {
    /** Segments that reached 0 since the last consistency point. */
    private LongList pendingNew = new LongList();
    /** Segments that reached 0 before the last consistency point; reusable after the next one. */
    private LongList pendingOld = new LongList();

    /** Segments at 0 (or free at open) that {@link #reuseHold} names; they join {@link #pendingNew} once released. */
    private final HeldSegments held = new HeldSegments();
    /** Whether a segment is named by a replayable pointer record (set once by the pool; read under the lock). */
    private volatile LongPredicate reuseHold = v -> false;

    void holdWhile(LongPredicate hold) {
        reuseHold = hold;
    }

    void clear() {
        pendingNew.clear();
        pendingOld.clear();
        held.clear();
    }

    /** {@code vbn}'s count reached 0: held while {@link #reuseHold} names it, else into the countdown. */
    void reachedZero(long vbn) {
        if (reuseHold.test(vbn)) {
            held.add(vbn);
        } else {
            pendingNew.add(vbn);
        }
    }

    /** Holds {@code vbn} (free at open, named by a record replay may apply). */
    void hold(long vbn) {
        held.add(vbn);
    }

    /** Replay claimed {@code vbn}: a stale held entry could free it early after a later decref. */
    void unhold(long vbn) {
        held.remove(vbn);
    }

    /** Moves held segments that the hold no longer names into the two-point countdown; returns how many. */
    long releaseHeld() {
        return held.release(reuseHold, pendingNew);
    }

    /**
     * A consistency point is durable: frees in {@code refs} and {@code space} the segments pending since before the
     * previous one; returns how many left the countdown.
     */
    long checkpointDurable(RefCounts refs, SpaceAccount space) {
        LongList release = pendingOld;
        for (int i = 0; i < release.size(); i++) {
            long v = release.get(i);
            if (refs.get(v) == RefCounts.PENDING) {
                refs.set(v, 0);
                space.released();
            }
        }
        long n = release.size();
        release.clear();
        pendingOld = pendingNew;
        pendingNew = release;
        return n;
    }

    /** Segments freed but not yet reusable, held ones included. */
    long size() {
        return pendingNew.size() + pendingOld.size() + held.size();
    }
}
