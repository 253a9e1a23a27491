package dev.vdisk.engine.alloc;

import java.util.function.LongPredicate;

/**
 * Segments with no reference that a journal record replay could still apply names (write-anywhere pointers,
 * docs/architecture/write-path.md): kept out of the two-point reuse countdown until the record can no longer be
 * replayed. A set (membership, removal by replay's claim in O(1)) plus the list it is iterated in. Not thread-safe:
 * the {@link Allocator} calls it under its lock.
 */
final class HeldSegments {
    /** Every segment added since the last release, possibly repeated or no longer held; {@link #set} decides. */
    private LongList order = new LongList();
    /** The segments held now (value unused). */
    private LongIntMap set = new LongIntMap();

    void add(long vbn) {
        if (set.get(vbn) == 0) {
            set.put(vbn, 1);
            order.add(vbn);
        }
    }

    /** Replay claimed {@code vbn} again: no longer held (a later decref must not find a stale entry). */
    void remove(long vbn) {
        set.remove(vbn);
    }

    int size() {
        return set.size();
    }

    void clear() {
        order = new LongList();
        set = new LongIntMap();
    }

    /**
     * Moves every held segment that {@code stillHeld} no longer names into {@code to}; returns how many moved.
     */
    long release(LongPredicate stillHeld, LongList to) {
        LongList keep = new LongList();
        long n = 0;
        for (int i = 0; i < order.size(); i++) {
            long v = order.get(i);
            if (set.get(v) != 1) {
                continue; // claimed by replay (0), or a repeat of one kept in this loop (2)
            }
            if (stillHeld.test(v)) {
                keep.add(v);
                set.put(v, 2); // seen: a repeat of v later in order is skipped below
            } else {
                set.remove(v);
                to.add(v);
                n++;
            }
        }
        for (int i = 0; i < keep.size(); i++) {
            set.put(keep.get(i), 1);
        }
        order = keep;
        return n;
    }
}
