package dev.vdisk.engine.split;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.error.OutOfSpaceException;
import dev.vdisk.engine.format.MapEntry;
import dev.vdisk.engine.map.HoleFill;
import dev.vdisk.engine.map.StoreMap;

/**
 * {@link Splitter#fillRun} for SHARE: the chain's resolution of the block comes from {@link ChainResolution} (one walk
 * per member per block, not per run), and the install is {@link HoleFill#fill}: one walk of the clone's tree, at
 * most one path copy and one hold of the allocator's lock for the whole run. No data moves, so the run needs no
 * reservation beyond a path copy's indirect blocks. The split task's thread only.
 */
final class ShareRun {
    private final SplitHost host;
    private final SplitClone clone;
    private final StoreMap map;
    private final ChainResolution chain;
    /** Scratch: a run's words. */
    private final long[] words;
    /** Scratch: the data segments {@link HoleFill#fill} references. */
    private final long[] vbns;

    ShareRun(SplitHost host, SplitClone clone, ChainResolution chain) {
        this.host = host;
        this.clone = clone;
        this.map = clone.map();
        this.chain = chain;
        this.words = new long[chain.fanout()];
        this.vbns = new long[chain.fanout()];
    }

    /** Fills the holes among up to {@code maxSegments} candidates from {@code first} on, in its level-1 block. */
    Splitter.Run fill(long first, int maxSegments) {
        long b0 = first & -chain.fanout();
        chain.resolve(b0);
        int from = (int) (first - b0);
        int end = (int) (chain.leafEnd(first) - b0);
        int visited = 0;
        int toFill = 0;
        long next = first;
        int j = from;
        for (; j < end && visited < maxSegments; j++) {
            long w = chain.fill(j);
            words[j - from] = w;
            if (chain.candidate(j)) {
                visited++;
                next = b0 + j + 1;
            }
            toFill += MapEntry.isHole(w) ? 0 : 1;
        }
        int n = j - from;
        if (toFill == 0) {
            return new Splitter.Run(next, visited, 0, 0);
        }
        Allocator alloc = host.allocator();
        long reserved;
        map.lock().readLock().lock();
        try {
            reserved = map.tree().height(); // a path copy
        } finally {
            map.lock().readLock().unlock();
        }
        if (!alloc.tryReserve(reserved)) {
            throw new OutOfSpaceException(
                    SplitMode.SHARE + " split of clone " + clone.name() + " at segment " + first,
                    alloc.usage().available() * host.segmentSize(),
                    reserved * host.segmentSize());
        }
        try {
            // destageLock: no destage changes this map between the hole test and the install (maps change only
            // under it); the clone's map write lock for the install itself
            host.destageLock().lock();
            try {
                host.checkOpen();
                if (clone.isDeleted() || map.backing() == null) {
                    return new Splitter.Run(next, visited, 0, 0); // the clone went away (or is already released)
                }
                int filled;
                int created;
                map.lock().writeLock().lock();
                try {
                    filled = HoleFill.fill(map.tree(), first, n, words, clone.epoch(), alloc, vbns);
                    created = map.tree().lastCreated();
                    for (long k = 0; k < n; k++) { // not durable before the next point: no in-place write yet
                        clone.markTouched(first + k);
                    }
                    long fromReservation = Math.min(created, reserved);
                    reserved -= fromReservation;
                    alloc.nodesCreated(created, fromReservation);
                } finally {
                    map.lock().writeLock().unlock();
                }
                int data = 0;
                for (int i = 0; i < n; i++) {
                    data += MapEntry.isMapped(words[i]) ? 1 : 0;
                }
                return new Splitter.Run(next, visited, filled, data);
            } finally {
                host.destageLock().unlock();
            }
        } finally {
            alloc.unreserve(reserved);
        }
    }
}
