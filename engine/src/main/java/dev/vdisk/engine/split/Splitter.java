package dev.vdisk.engine.split;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.error.OutOfSpaceException;
import dev.vdisk.engine.format.IndirectBlock;
import dev.vdisk.engine.format.MapEntry;
import dev.vdisk.engine.map.MapTree;
import dev.vdisk.engine.map.StoreMap;
import java.util.Arrays;

/**
 * Fills one clone's holes from its backing chain, a run of segments at a time, and finds what is left to fill.
 * {@link SplitTask} drives it on its own thread; the pool does the final release under its
 * locks ({@link SplitHost#release}).
 *
 * <p><b>One segment</b> (of a run, {@link #fillRun}): look at the clone's entry; if it is a hole, resolve the same
 * field along the backing chain (the first entry that is not a hole; a member shorter than the segment, or the end of
 * the chain, means zeros). Data at VBN X: SHARE takes a reference on X and points the entry at it (X is then shared, so
 * a user write redirects); COPY reads X, writes it unchanged to a newly allocated segment Y and points the entry at Y.
 * Zero: the entry becomes ZERO. The pointer is installed only if the entry is <em>still a hole</em>, checked under
 * {@code Pool.destageLock} and the clone's map lock: a user write that reached the map first wins (the splitter leaves
 * the entry alone). A write still in the changes table is merged by the destager onto whatever the map holds when it
 * runs: before the fill it reads the hole (the backing's bytes), after it reads X or Y (the same bytes); the destage
 * itself runs under {@code destageLock}, so the fill never lands between its lookup and its map update. Either way the
 * result is the backing's content overlaid with every user write, in order.
 *
 * <p><b>Commit protocol</b> (what is durable is always one consistency point: the clone's map and its split record
 * {@link SplitCursor} are written at the same point; recovery is {@code Pool.open} plus {@code Pool.resumeSplits()}):
 * <ol>
 *   <li><b>Start</b> ({@code Pool.split}, {@link Splits#start}): the record {@code {mode, cursor, state RUNNING}}
 *       is put on the clone's
 *       catalog entry in memory, before the task runs, and no consistency point is taken: the record becomes durable
 *       with the first point after it, which is also the first that can hold a fill (every fill comes after the
 *       record, and a point writes every map with every record). Crash before that point: no record, no change; the
 *       split was never started (a recorded CANCELLED or PAUSED split stays so, with its cursor), and whoever asked
 *       for it asks again (the node agent keeps started requests in {@code <pool>/split-requests} until they end).
 *       After it: recovery finds state {@link SplitCursor.State#RUNNING} and {@code resumeSplits} restarts it from
 *       the recorded cursor.</li>
 *   <li><b>Fill</b> segment i (in memory: SHARE increments X's count and sets the entry; COPY allocates Y, writes the
 *       data to Y, sets the entry). Crash here: fills since the last point are not in the durable map, and Y is not
 *       referenced by any durable tree, so rebuilding reference counts at open frees it (nothing leaks); SHARE's extra
 *       reference on X likewise only exists in memory. The durable cursor is at most i, so the resumed task examines
 *       i again; entries filled beyond the cursor at the point are no longer holes and are skipped.</li>
 *   <li><b>Advance</b> the in-memory cursor to i + 1 (after the fill, so a point never records a cursor ahead of the
 *       map; for a run, once after its install, i being its last candidate); a consistency point (the pool's timer, or the task's own every checkpoint interval) makes cursor and
 *       fills durable together. Crash after it: resume from i + 1.</li>
 *   <li><b>Pause or cancel</b>: the record's state becomes {@link SplitCursor.State#PAUSED} (out of space, with the
 *       error) or {@link SplitCursor.State#CANCELLED} and a point is taken. Recovery lists such a split
 *       ({@code Pool.splits()}) but does not restart it; the next {@code split} call of the same mode does, from the
 *       cursor. Crash before that point: the record still says RUNNING and the split resumes on
 *       {@code resumeSplits}.</li>
 *   <li><b>Release</b> ({@link SplitHost#release}, under cpLock and destageLock; the clone's operation lock for
 *       the flip): check that no hole of the clone still resolves to data in the chain (else go back to step 2
 *       from that segment); clear the clone's backing, record its former sharing family (a catalog extension of the clone, for the
 *       check), drop the split record, free the former backing snapshot if it was hidden and this was its last
 *       dependent (cascading), and take one consistency point. Crash before the point: the record says RUNNING with
 *       the cursor at the end, so the resumed task only releases. After it: the clone has no backing and no record;
 *       nothing to recover.</li>
 * </ol>
 *
 * <p>Locks: {@code Pool.destageLock} &gt; clone's {@code mapLock} (write) &gt; each backing's {@code mapLock} (read,
 * one at a time: snapshots never change their maps) &gt; allocator. <b>Runs</b>: a run is up to {@code maxSegments}
 * candidates of one level-1 indirect block, read with one walk per tree ({@link MapTree#lookupRun}), reserved at once,
 * filled under one hold of {@code destageLock} and one of the clone's map write lock (one path copy at most). SHARE
 * resolves the chain once per level-1 block for all its runs ({@link #chainBlock}: the chain and its maps stay fixed
 * while the clone is backed) and installs a run with {@link MapTree#fillHoles} (one walk, one hold of the allocator's
 * lock for its references); the release check then walks only the clone, resolving the chain where holes remain. COPY
 * allocates the run's Ys and copies X to Y under {@code destageLock} (not the map lock, so reads go on), one in-kernel
 * copy ({@link SplitCopier}) per stretch adjacent on both sides: from its allocation to its install Y is invisible to
 * consistency points and to the check, which would otherwise count it as leaked; the destager waits for one run
 * (1 MiB), about the cost of one destage of 16 segments. Foreground reads never wait for the copy.
 */
final class Splitter implements AutoCloseable {
    private final SplitHost host;
    private final SplitClone clone;
    private final StoreMap map;
    private final SplitMode mode;
    private final int segmentSize;
    private final int shift;
    /** COPY's mover, opened at the first copy (the task's thread only). */
    private SplitCopier copier;
    /** COPY: time spent in {@link SplitCopier#copy} (the task's thread only). */
    private long copyNanos;

    private long copies;
    /**
     * Every run and the release check ({@link #chainBlock}; the task's thread only): the first segment of the level-1
     * block whose chain resolution {@link #candidate} and {@link #fill} hold, or -1.
     */
    private long blockFirst = -1;
    /** Per segment of the block: mapped somewhere in the chain ({@link #nextCandidate}'s definition). */
    private final boolean[] candidate;
    /** Per segment of the block: the word a hole there is filled with (data, ZERO), or HOLE for nothing to fill. */
    private final long[] fill;
    /** Scratch of one block: a chain member's or the clone's entries, a run's words, its data segments. */
    private final long[] words;

    private final long[] vbns;

    Splitter(SplitHost host, SplitClone clone, SplitMode mode) {
        this.host = host;
        this.clone = clone;
        this.map = clone.map();
        this.mode = mode;
        this.segmentSize = host.segmentSize();
        this.shift = Integer.numberOfTrailingZeros(segmentSize);
        int fanout = IndirectBlock.fanout(segmentSize);
        this.candidate = new boolean[fanout];
        this.fill = new long[fanout];
        this.words = new long[fanout];
        this.vbns = new long[fanout];
    }

    /** COPY: nanoseconds spent moving data so far. */
    long copyNanos() {
        return copyNanos;
    }

    /** COPY: stretches copied so far (one {@link SplitCopier#copy} each). */
    long copies() {
        return copies;
    }

    SplitClone target() {
        return clone;
    }

    SplitMode mode() {
        return mode;
    }

    /** Segments of the clone (its size rounded up). */
    long segments() {
        return map.segments();
    }

    /**
     * The smallest segment {@code >= from} mapped anywhere in the backing chain (the only places a hole can read
     * data or a ZERO entry can shadow data), or -1. Skips missing subtrees, so sparse chains cost little.
     */
    long nextCandidate(long from) {
        return StoreMap.nextMappedInChain(map.backing(), from, segments());
    }

    /** The segments {@code [from, end)} of the level-1 indirect block holding {@code from}, within the clone. */
    private long leafEnd(long from) {
        return Math.min(segments(), (from | (IndirectBlock.fanout(segmentSize) - 1)) + 1);
    }

    /**
     * The segments {@code [from, from + n)} of one level-1 block: the clone's entries ({@code mine}, one walk of its
     * tree), whether each is a candidate ({@link #nextCandidate}'s definition) and what a hole there is filled with
     * ({@code chain}: data, ZERO, or HOLE for nothing), both from the block's chain resolution ({@link #chainBlock}).
     */
    private record Leaf(long from, int n, long[] mine, boolean[] candidate, long[] chain) {}

    private Leaf leaf(long from) {
        long b0 = from & -fill.length;
        chainBlock(b0);
        int off = (int) (from - b0);
        int n = (int) (leafEnd(from) - from);
        long[] mine = new long[n];
        map.lock().readLock().lock();
        try {
            map.tree().lookupRun(from, n, mine);
        } finally {
            map.lock().readLock().unlock();
        }
        return new Leaf(
                from, n, mine, Arrays.copyOfRange(candidate, off, off + n), Arrays.copyOfRange(fill, off, off + n));
    }

    /** Holes from {@code from} on that read data through the chain: the segments a COPY still has to write. */
    long segmentsToFill(long from) {
        long count = 0;
        for (long c = nextCandidate(from); c >= 0; c = nextCandidate(leafEnd(c))) {
            Leaf l = leaf(c);
            for (int i = 0; i < l.n(); i++) {
                if (l.candidate()[i] && MapEntry.isHole(l.mine()[i]) && MapEntry.isMapped(l.chain()[i])) {
                    count++;
                }
            }
        }
        return count;
    }

    /**
     * The first hole that still reads data through the chain, or -1 when the backing is no longer needed. The caller
     * holds {@code Pool.destageLock}, so no map changes meanwhile (and holes never come back). After a complete pass
     * the clone has no hole where the chain maps anything, so this reads one walk of the clone per block with
     * candidates and resolves the chain ({@link #chainBlock}) only for a block that still has holes.
     */
    long firstHoleReadingData() {
        int fanout = fill.length;
        for (long c = nextCandidate(0); c >= 0; c = nextCandidate(leafEnd(c))) {
            long b0 = c & -fanout;
            int from = (int) (c - b0);
            int n = (int) (leafEnd(c) - b0);
            map.lock().readLock().lock();
            try {
                map.tree().lookupRun(c, n - from, words);
            } finally {
                map.lock().readLock().unlock();
            }
            int firstHole = -1;
            for (int i = 0; i < n - from; i++) {
                if (MapEntry.isHole(words[i])) {
                    firstHole = i;
                    break;
                }
            }
            if (firstHole < 0) {
                continue;
            }
            long[] mine = words.clone(); // chainBlock reuses words
            chainBlock(b0);
            for (int i = firstHole; i < n - from; i++) {
                if (MapEntry.isHole(mine[i]) && candidate[from + i] && MapEntry.isMapped(fill[from + i])) {
                    return c + i;
                }
            }
        }
        return -1;
    }

    /**
     * Resolves the chain for the level-1 block starting at segment {@code b0} into {@link #candidate} and
     * {@link #fill}, unless they already hold it: one walk per chain member for the whole block, reused by the runs
     * in it. Valid for the task's life: snapshots never change their maps, and the chain of a clone stays the same
     * while it is backed. Follows the read path's rules: the first entry that is not a hole wins; a member
     * shorter than the segment, or the end of the chain, means zeros (nothing to fill).
     */
    private void chainBlock(long b0) {
        if (b0 == blockFirst) {
            return;
        }
        blockFirst = -1;
        int n = fill.length;
        Arrays.fill(candidate, false);
        Arrays.fill(fill, -1L); // unresolved (no word is negative)
        for (StoreMap x = map.backing(); x != null; x = x.backing()) {
            x.lock().readLock().lock();
            try {
                x.tree().lookupRun(b0, n, words);
            } finally {
                x.lock().readLock().unlock();
            }
            // segments of the block inside this member (a shorter member resolves the rest to zeros)
            long size = x.size();
            int inside = (int) Math.max(0, Math.min(n, ((size + segmentSize - 1) >>> shift) - b0));
            for (int i = 0; i < inside; i++) {
                long w = words[i];
                candidate[i] |= MapEntry.isMapped(w);
                if (fill[i] < 0 && !MapEntry.isHole(w)) {
                    fill[i] = w;
                }
            }
            for (int i = inside; i < n; i++) {
                if (fill[i] < 0) {
                    fill[i] = MapEntry.HOLE;
                }
            }
        }
        for (int i = 0; i < n; i++) {
            long w = fill[i];
            fill[i] = !candidate[i] || w <= 0
                    ? MapEntry.HOLE
                    : MapEntry.isMapped(w) ? MapEntry.mapped(MapEntry.vbn(w)) : MapEntry.ZERO;
        }
        blockFirst = b0;
    }

    /**
     * What one {@link #fillRun} did: {@code next} is the cursor after it (the last candidate it examined + 1),
     * {@code visited} the candidates it examined, {@code filled} the holes it filled (data or zero), {@code data}
     * those that now map data (each counts one segment of bytes for progress and the rate limit).
     */
    record Run(long next, int visited, int filled, int data) {}

    /**
     * Fills the holes among up to {@code maxSegments} candidates from {@code first} on, all in {@code first}'s
     * level-1 indirect block (step 2 of the protocol for each): one reservation, one hold of {@code destageLock},
     * one map write lock and at most one path copy for the whole run; COPY moves runs of adjacent segments with one
     * in-kernel copy each ({@link SplitCopier}).
     *
     * @throws OutOfSpaceException when even the first hole of the run alone (COPY: its data segment; both: the
     *     indirect blocks of a path copy) cannot be reserved; nothing changed
     */
    Run fillRun(long first, int maxSegments) {
        if (mode == SplitMode.SHARE) {
            return shareRun(first, maxSegments);
        }
        return copyRun(first, maxSegments);
    }

    /** {@link #fillRun} for COPY. */
    private Run copyRun(long first, int maxSegments) {
        Leaf l = leaf(first);
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
            return new Run(next, visited, 0, 0);
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
                        mode + " split of clone " + clone.name() + " at segment " + segs[0],
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
                    return new Run(next, visited, 0, 0); // the clone went away (or is already released)
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
                return new Run(next, visited, filled, data);
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

    /**
     * {@link #fillRun} for SHARE: the chain's resolution of the block comes from {@link #chainBlock} (one walk per
     * member per block, not per run), and the install is {@link MapTree#fillHoles}: one walk of the clone's tree, at
     * most one path copy and one hold of the allocator's lock for the whole run. No data moves, so the run needs
     * no reservation beyond a path copy's indirect blocks.
     */
    private Run shareRun(long first, int maxSegments) {
        long b0 = first & -fill.length;
        chainBlock(b0);
        int from = (int) (first - b0);
        int end = (int) (leafEnd(first) - b0);
        int visited = 0;
        int toFill = 0;
        long next = first;
        int j = from;
        for (; j < end && visited < maxSegments; j++) {
            long w = fill[j];
            words[j - from] = w;
            if (candidate[j]) {
                visited++;
                next = b0 + j + 1;
            }
            toFill += MapEntry.isHole(w) ? 0 : 1;
        }
        int n = j - from;
        if (toFill == 0) {
            return new Run(next, visited, 0, 0);
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
                    mode + " split of clone " + clone.name() + " at segment " + first,
                    alloc.usage().available() * segmentSize,
                    reserved * segmentSize);
        }
        try {
            // destageLock: no destage changes this map between the hole test and the install (maps change only
            // under it); the clone's map write lock for the install itself
            host.destageLock().lock();
            try {
                host.checkOpen();
                if (clone.isDeleted() || map.backing() == null) {
                    return new Run(next, visited, 0, 0); // the clone went away (or is already released)
                }
                int filled;
                int created;
                map.lock().writeLock().lock();
                try {
                    filled = map.tree().fillHoles(first, n, words, clone.epoch(), alloc, vbns);
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
                return new Run(next, visited, filled, data);
            } finally {
                host.destageLock().unlock();
            }
        } finally {
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

    /** Closes COPY's channels (the task ended). */
    @Override
    public void close() {
        if (copier != null) {
            copier.close();
            copier = null;
        }
    }
}
