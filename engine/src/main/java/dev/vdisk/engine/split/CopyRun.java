package dev.vdisk.engine.split;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.error.OutOfSpaceException;
import dev.vdisk.engine.format.MapEntry;
import dev.vdisk.engine.map.StoreMap;

/**
 * {@link Splitter#fillRun} for COPY: reserves the run's data segments and indirect blocks at once, then under {@code
 * Pool.destageLock} allocates the Ys, copies X to Y ({@link SplitCopier}, one in-kernel copy per stretch adjacent on
 * both sides; the clone's map lock is not held, so reads go on) and installs them under the map's write lock. The
 * split task's thread only.
 */
final class CopyRun implements AutoCloseable {
    private final SplitHost host;
    private final SplitClone clone;
    private final StoreMap map;
    private final int segmentSize;
    private final int shift;
    /** The mover, opened at the first copy. */
    private SplitCopier copier;
    /** Time spent in {@link SplitCopier#copy}. */
    private long copyNanos;
    /** Stretches copied ({@link SplitCopier#copy} calls). */
    private long copies;

    CopyRun(SplitHost host, SplitClone clone) {
        this.host = host;
        this.clone = clone;
        this.map = clone.map();
        this.segmentSize = host.segmentSize();
        this.shift = Integer.numberOfTrailingZeros(segmentSize);
    }

    /** Nanoseconds spent moving data so far. */
    long copyNanos() {
        return copyNanos;
    }

    /** Stretches copied so far (one {@link SplitCopier#copy} each). */
    long copies() {
        return copies;
    }

    /** Fills the holes among up to {@code maxSegments} candidates of {@code l} (a run from its first segment). */
    Splitter.Run fill(Splitter.Leaf l, int maxSegments) {
        long first = l.from();
        long[] segs = new long[Math.max(1, Math.min(maxSegments, l.n()))];
        long[] src = new long[segs.length];
        int[] visitedAt = new int[segs.length];
        int visited = 0;
        int n = 0;
        long next = first;
        int height;
        map.lock().readLock().lock();
        try {
            height = map.tree().height();
        } finally {
            map.lock().readLock().unlock();
        }
        for (int i = 0; i < l.n() && visited < segs.length; i++) {
            if (!l.candidate()[i]) {
                continue;
            }
            visited++;
            next = first + i + 1;
            // not a hole: a user write (or an earlier fill) got there first; a chain reading zeros: nothing to do
            if (MapEntry.isHole(l.mine()[i]) && !MapEntry.isHole(l.chain()[i])) {
                segs[n] = first + i;
                src[n] = l.chain()[i];
                visitedAt[n++] = visited;
            }
        }
        if (n == 0) {
            return new Splitter.Run(next, visited, 0, 0);
        }
        Allocator alloc = host.allocator();
        long reserved = height + dataEntries(src, n);
        if (!alloc.tryReserve(reserved)) {
            // short of space: the first hole alone, so that a nearly full pool still progresses
            n = 1;
            next = segs[0] + 1;
            visited = visitedAt[0];
            reserved = height + dataEntries(src, n);
            if (!alloc.tryReserve(reserved)) {
                throw new OutOfSpaceException(
                        SplitMode.COPY + " split of clone " + clone.name() + " at segment " + segs[0],
                        alloc.usage().available() * segmentSize,
                        reserved * segmentSize);
            }
        }
        long[] dst = new long[n];
        int allocated = 0;
        try {
            // Under destageLock from the first allocation to the install: nothing that looks at the whole pool (a
            // consistency point, the check) ever sees a Y counted but unreferenced, and no destage changes this map
            // between the hole test and the install (maps change only under destageLock), so the holes seen here
            // stay holes until the install. The copy of a 1 MiB run costs about what one destage costs.
            host.destageLock().lock();
            try {
                host.checkOpen();
                if (clone.isDeleted() || map.backing() == null) {
                    return new Splitter.Run(next, visited, 0, 0); // the clone went away (or is already released)
                }
                map.lock().readLock().lock();
                try {
                    for (int i = 0; i < n; i++) {
                        if (!MapEntry.isHole(map.tree().lookup(segs[i]))) {
                            src[i] = MapEntry.HOLE; // a user write won: leave it alone
                        }
                    }
                } finally {
                    map.lock().readLock().unlock();
                }
                for (int i = 0; i < n; i++) {
                    if (MapEntry.isMapped(src[i])) {
                        dst[i] = alloc.allocate(true, segmentSize);
                        allocated++;
                        reserved--;
                    }
                }
                copyRuns(src, dst, n);
                int filled = 0;
                int data = 0;
                map.lock().writeLock().lock();
                try {
                    int created = 0;
                    for (int i = 0; i < n; i++) {
                        if (MapEntry.isHole(src[i])
                                || !MapEntry.isHole(map.tree().lookup(segs[i]))) {
                            continue;
                        }
                        boolean isData = MapEntry.isMapped(src[i]);
                        long word = isData ? MapEntry.mapped(dst[i]) : MapEntry.ZERO;
                        map.tree().set(segs[i], word, clone.epoch(), alloc);
                        clone.markTouched(segs[i]); // not durable before the next point: no in-place write yet
                        created += map.tree().lastCreated();
                        if (isData) {
                            dst[i] = 0; // referenced by the map now
                        }
                        filled++;
                        data += isData ? 1 : 0;
                    }
                    long fromReservation = Math.min(created, reserved);
                    reserved -= fromReservation;
                    alloc.nodesCreated(created, fromReservation);
                } finally {
                    map.lock().writeLock().unlock();
                }
                return new Splitter.Run(next, visited, filled, data);
            } finally {
                host.destageLock().unlock();
            }
        } finally {
            if (allocated > 0) {
                for (int i = 0; i < n; i++) {
                    if (dst[i] != 0) {
                        alloc.decref(dst[i]); // allocated, not installed (an I/O error)
                    }
                }
            }
            alloc.unreserve(reserved);
        }
    }

    private static int dataEntries(long[] src, int n) {
        int k = 0;
        for (int i = 0; i < n; i++) {
            k += MapEntry.isMapped(src[i]) ? 1 : 0;
        }
        return k;
    }

    /** COPY: copies X to Y for every data entry of the run, one call per stretch adjacent on both sides. */
    private void copyRuns(long[] src, long[] dst, int n) {
        int i = 0;
        while (i < n) {
            if (!MapEntry.isMapped(src[i])) {
                i++;
                continue;
            }
            long x = MapEntry.vbn(src[i]);
            long y = dst[i];
            int len = 1;
            while (i + len < n
                    && MapEntry.isMapped(src[i + len])
                    && MapEntry.vbn(src[i + len]) == x + len
                    && dst[i + len] == y + len) {
                len++;
            }
            if (copier == null) {
                copier = new SplitCopier(host.data(), segmentSize);
            }
            long t0 = System.nanoTime();
            copier.copy(x << shift, y << shift, (long) len << shift);
            copyNanos += System.nanoTime() - t0;
            copies++;
            i += len;
        }
    }

    /**
     * COPY: drops what the copier wrote back from the page cache ({@link SplitCopier#dropBehind}); may wait for the
     * disk, so the caller holds no engine lock.
     */
    void dropBehind() {
        if (copier != null) {
            copier.dropBehind();
        }
    }

    /** Closes the copier's channels (the task ended). */
    @Override
    public void close() {
        if (copier != null) {
            copier.close();
            copier = null;
        }
    }
}
