package dev.vdisk.engine.split;

import dev.vdisk.engine.error.OutOfSpaceException;
import dev.vdisk.engine.format.MapEntry;
import dev.vdisk.engine.map.MapTree;
import dev.vdisk.engine.map.StoreMap;

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
 * {@link SplitCursor} are written at the same point; recovery is {@code Pool.open} plus {@code Pool.splits().resume()}):
 * <ol>
 *   <li><b>Start</b> ({@code Pool.splits().start}, {@link Splits#start}): the record {@code {mode, cursor, state RUNNING}}
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
 *       ({@code Pool.splits().progress()}) but does not restart it; the next {@code split} call of the same mode does, from the
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
 * resolves the chain once per level-1 block for all its runs ({@link ChainResolution}: the chain and its maps stay fixed
 * while the clone is backed) and installs a run with {@code HoleFill.fill} (one walk, one hold of the allocator's
 * lock for its references); the release check then walks only the clone, resolving the chain where holes remain. COPY
 * allocates the run's Ys and copies X to Y under {@code destageLock} (not the map lock, so reads go on), one in-kernel
 * copy ({@link SplitCopier}) per stretch adjacent on both sides: from its allocation to its install Y is invisible to
 * consistency points and to the check, which would otherwise count it as leaked; the destager waits for one run
 * (1 MiB), about the cost of one destage of 16 segments. Foreground reads never wait for the copy. A SHARE run is
 * {@link ShareRun}'s, a COPY run {@link CopyRun}'s.
 */
final class Splitter implements AutoCloseable {
    private final SplitClone clone;
    private final StoreMap map;
    private final SplitMode mode;
    /** The chain's resolution of the block every run and the release check are in (the task's thread only). */
    private final ChainResolution chain;
    /** COPY's runs; null for SHARE. */
    private final CopyRun copy;
    /** SHARE's runs; null for COPY. */
    private final ShareRun share;
    /** Scratch of {@link #firstHoleReadingData}: the clone's entries of one block. */
    private final long[] words;

    Splitter(SplitHost host, SplitClone clone, SplitMode mode) {
        this.clone = clone;
        this.map = clone.map();
        this.mode = mode;
        this.chain = new ChainResolution(map, host.segmentSize());
        this.copy = mode == SplitMode.COPY ? new CopyRun(host, clone) : null;
        this.share = mode == SplitMode.SHARE ? new ShareRun(host, clone, chain) : null;
        this.words = new long[chain.fanout()];
    }

    /** COPY: nanoseconds spent moving data so far. */
    long copyNanos() {
        return copy == null ? 0 : copy.copyNanos();
    }

    /** COPY: stretches copied so far (one {@link SplitCopier#copy} each). */
    long copies() {
        return copy == null ? 0 : copy.copies();
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

    /**
     * The segments {@code [from, from + n)} of one level-1 block: the clone's entries ({@code mine}, one walk of its
     * tree), whether each is a candidate ({@link #nextCandidate}'s definition) and what a hole there is filled with
     * ({@code chain}: data, ZERO, or HOLE for nothing), both from the block's {@link ChainResolution}.
     */
    record Leaf(long from, int n, long[] mine, boolean[] candidate, long[] chain) {}

    private Leaf leaf(long from) {
        long b0 = from & -chain.fanout();
        chain.resolve(b0);
        int off = (int) (from - b0);
        int n = (int) (chain.leafEnd(from) - from);
        long[] mine = new long[n];
        map.lock().readLock().lock();
        try {
            map.tree().lookupRun(from, n, mine);
        } finally {
            map.lock().readLock().unlock();
        }
        return new Leaf(from, n, mine, chain.candidates(off, n), chain.fills(off, n));
    }

    /** Holes from {@code from} on that read data through the chain: the segments a COPY still has to write. */
    long segmentsToFill(long from) {
        long count = 0;
        for (long c = nextCandidate(from); c >= 0; c = nextCandidate(chain.leafEnd(c))) {
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
     * candidates and resolves the chain ({@link ChainResolution#resolve}) only for a block that still has holes.
     */
    long firstHoleReadingData() {
        int fanout = chain.fanout();
        for (long c = nextCandidate(0); c >= 0; c = nextCandidate(chain.leafEnd(c))) {
            long b0 = c & -fanout;
            int from = (int) (c - b0);
            int n = (int) (chain.leafEnd(c) - b0);
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
            chain.resolve(b0);
            for (int i = firstHole; i < n - from; i++) {
                if (MapEntry.isHole(words[i]) && chain.candidate(from + i) && MapEntry.isMapped(chain.fill(from + i))) {
                    return c + i;
                }
            }
        }
        return -1;
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
        return share != null ? share.fill(first, maxSegments) : copy.fill(leaf(first), maxSegments);
    }

    /**
     * COPY: drops what the copier wrote back from the page cache ({@link SplitCopier#dropBehind}); may wait for the
     * disk, so the caller holds no engine lock.
     */
    void dropBehind() {
        if (copy != null) {
            copy.dropBehind();
        }
    }

    /** Closes COPY's channels (the task ended). */
    @Override
    public void close() {
        if (copy != null) {
            copy.close();
        }
    }
}
