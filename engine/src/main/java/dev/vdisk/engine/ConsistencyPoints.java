package dev.vdisk.engine;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.core.GuardedBy;
import dev.vdisk.engine.format.Catalog;
import dev.vdisk.engine.format.CatalogEntry;
import dev.vdisk.engine.format.Superblock;
import dev.vdisk.engine.io.DataSpace;
import dev.vdisk.engine.journal.Journal;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pool's consistency points: fsync the data space; write every dirty indirect block to a new segment, children
 * first, and every changed range of a change index; write the catalog's changed head to new segments (vdisks first,
 * snapshots after: a tail that did not change is kept, see {@link CatalogLayout}); fsync; write the superblock slot {@code generation % 2} with the replay
 * position (the oldest journal record not yet destaged); fsync; then release segments freed two points ago and delete
 * journal files wholly before the previous point's replay position. Also the state that hangs on them: when one is
 * due, and whether in-place writes must wait for one (after a deletion).
 *
 * <p>Callers hold {@code Pool.cpLock} for {@link #takeLocked}; it takes {@code Pool.destageLock} itself.
 */
final class ConsistencyPoints {
    private static final Logger LOG = LoggerFactory.getLogger(ConsistencyPoints.class);

    private final Path dir;
    private final PoolOptions options;
    private final DataSpace data;
    private final Allocator alloc;
    private final int segmentSize;
    /** Held by the destager around each segment it destages, and by points to quiesce it (Pool's destageLock). */
    private final ReentrantLock destageLock;
    /** Set once the journal is open, before the first point. */
    private Journal journal;

    @GuardedBy("Pool.cpLock")
    private Superblock superblock;

    @GuardedBy("Pool.cpLock")
    private long[] catalogVbns = new long[0];

    /** Whole-segment CRCs of {@link #catalogVbns}, and the payload they hold (null: unknown, write it all). */
    @GuardedBy("Pool.cpLock")
    private int[] catalogCrcs = new int[0];

    @GuardedBy("Pool.cpLock")
    private byte[] lastPayload;

    @GuardedBy("Pool.cpLock")
    private long prevReplaySeq;

    /** What the last completed point wrote (tests hold points to it). */
    record Written(int catalogSegments, int catalogSegmentsKept, int changeIndexSegments) {}

    private volatile Written lastWritten = new Written(0, 0, 0);

    private volatile long lastCheckpointNanos = System.nanoTime();
    /**
     * While the journal is replayed at open: the sequence number of the record being applied. A consistency point
     * taken meanwhile (timer, space) must not move the replay position past records not yet back in the changes table.
     */
    private volatile long recoveryCursor = Long.MAX_VALUE;
    /** Consistency points that took their replay position so far (written under destageLock). */
    private volatile long pointsStarted;
    /** The number of the last point that completed (its superblock durable). */
    private volatile long pointsCompleted;
    /**
     * In-place writes wait for the point of this number to complete: set by a deletion before it releases a tree, since
     * segments the durable pool still shares become exclusive in memory (see {@link #inPlaceAllowed}).
     */
    private volatile long inPlaceBarrier;

    private PointerHolds holds;

    ConsistencyPoints(
            Path dir, PoolOptions options, DataSpace data, Allocator alloc, ReentrantLock destageLock, Superblock sb) {
        this.dir = dir;
        this.options = options;
        this.data = data;
        this.alloc = alloc;
        this.segmentSize = sb.segmentSize();
        this.destageLock = destageLock;
        this.superblock = sb;
        this.prevReplaySeq = sb.replaySeq();
    }

    void attach(Journal j, PointerHolds h) {
        journal = j;
        holds = h;
    }

    /** The catalog's segments as the open found them. */
    @GuardedBy("Pool.cpLock")
    void loaded(long[] vbns) {
        catalogVbns = vbns;
    }

    /** The newest durable superblock. */
    @GuardedBy("Pool.cpLock")
    Superblock superblock() {
        return superblock;
    }

    /** The segments of the durable catalog. */
    @GuardedBy("Pool.cpLock")
    long[] catalogVbns() {
        return catalogVbns;
    }

    Written lastWritten() {
        return lastWritten;
    }

    /** The replay is applying record {@code seq} ({@link Long#MAX_VALUE}: the replay ended). */
    void replaying(long seq) {
        recoveryCursor = seq;
    }

    /**
     * Takes a consistency point of {@code vdisks} (every catalog entry) with {@code nextVdiskId}: quiesces the destager
     * (destageLock) for the short final part only, after a first data fsync without it.
     */
    @GuardedBy("Pool.cpLock")
    void takeLocked(String why, Collection<Vdisk> all, long nextVdiskId) {
        long t0 = System.nanoTime();
        // one walk over the catalog's concurrent map, not five (cpLock keeps the set of entries still)
        List<Vdisk> vdisks = new ArrayList<>(all);
        // write back what the destager wrote so far before stopping it: the fsync under destageLock below then has
        // little left to do (it took up to hundreds of ms under a sequential write, and writers waited for the slab)
        data.force();
        destageLock.lock();
        try {
            long point = pointsStarted + 1;
            pointsStarted = point;
            // close the touched generations before reading the journal's next sequence number: a record appended
            // after that read is marked after it, so in the new generation
            for (Vdisk v : vdisks) {
                v.touched().close();
            }
            long nextSeq = journal.nextSeq();
            for (Vdisk v : vdisks) {
                v.touched().seal(nextSeq);
            }
            long replay = Math.min(nextSeq, recoveryCursor);
            for (Vdisk v : vdisks) {
                replay = v.parts().table().oldestSeq(replay);
            }
            data.force();
            ByteBuffer buf = ByteBuffer.allocateDirect(segmentSize);
            List<CatalogEntry> entries = new ArrayList<>(vdisks.size());
            long indexSegments = 0;
            int indexWritten = 0;
            for (Vdisk v : vdisks) {
                v.map().lock().writeLock().lock();
                try {
                    v.map().tree().checkpoint(data, alloc, buf);
                    indexWritten += v.changeIndex().writeDirty(v.changes(), v.id(), data, alloc, buf);
                    indexSegments += v.changeIndex().segments();
                    entries.add(v.toCatalogEntryWithoutLocking());
                } finally {
                    v.map().lock().writeLock().unlock();
                }
            }
            byte[] payload = Catalog.encodePayload(CatalogLayout.order(entries));
            int k = Catalog.segmentsFor(payload.length, segmentSize);
            alloc.setCatalogSegments(k + indexSegments);
            int keep = CatalogLayout.unchangedTail(lastPayload, payload, segmentSize, catalogVbns.length);
            long[] vbns = new long[k];
            int[] crcs = new int[k];
            for (int j = 1; j <= keep; j++) {
                vbns[k - j] = catalogVbns[catalogVbns.length - j];
                crcs[k - j] = catalogCrcs[catalogVbns.length - j];
            }
            for (int i = 0; i < k - keep; i++) {
                vbns[i] = alloc.allocate(false, segmentSize);
            }
            for (int i = k - keep - 1; i >= 0; i--) {
                int from = CatalogLayout.start(i, payload.length, k, segmentSize);
                int to = i + 1 < k ? CatalogLayout.start(i + 1, payload.length, k, segmentSize) : payload.length;
                long nextVbn = i + 1 < k ? vbns[i + 1] : 0;
                int nextCrc = i + 1 < k ? crcs[i + 1] : 0;
                crcs[i] = Catalog.encodeSegment(buf, payload, from, to - from, nextVbn, nextCrc);
                data.writeFully(buf.clear(), vbns[i] * segmentSize);
            }
            int firstCrc = crcs[0];
            data.force();
            Superblock next = superblock.next(vbns[0], firstCrc, payload.length, replay, nextVdiskId);
            data.writeFully(next.encode(), (long) next.slot() * Superblock.SLOT_SIZE);
            data.force();
            for (int i = 0; i < catalogVbns.length - keep; i++) {
                alloc.decref(catalogVbns[i]); // the replaced head (pending: reusable two points later)
            }
            catalogVbns = vbns;
            catalogCrcs = crcs;
            lastPayload = payload;
            superblock = next;
            for (Vdisk v : vdisks) {
                v.touched().retire(replay);
            }
            pointsCompleted = point;
            lastWritten = new Written(k - keep, keep, indexWritten);
            long released = alloc.checkpointDurable();
            // neither durable slot (this point, the previous one: the fallback) replays pointers below the older
            // slot's replay position any more
            holds.retireBelow(prevReplaySeq);
            alloc.releaseHeld();
            journal.deleteBefore(prevReplaySeq);
            prevReplaySeq = replay;
            lastCheckpointNanos = System.nanoTime();
            LOG.debug(
                    "consistency point {} of pool {} ({}): replay from {}, catalog {} of {} segments and {} change"
                            + " index segments written, released {} segments, {} us",
                    next.generation(),
                    dir,
                    why,
                    replay,
                    k - keep,
                    k,
                    indexWritten,
                    released,
                    (System.nanoTime() - t0) / 1000);
        } finally {
            destageLock.unlock();
        }
    }

    /**
     * Whether writes may go to the data space in place (checked after the segment's reference count was read, which
     * the deletion changes under the allocator's lock after setting the barrier). A deletion releases a tree in memory
     * before its point is durable: a segment it shared becomes exclusive in memory while the durable pool still gives
     * it to the deleted object, so until that point completes no write goes in place. (A segment an in-place write may
     * take already has its change bit set, which a vdisk's segment shared with a snapshot never has; this is the
     * second line.)
     */
    boolean inPlaceAllowed() {
        return pointsCompleted >= inPlaceBarrier;
    }

    /** A deletion is about to release a tree: no in-place write until the next point completes. */
    void holdInPlaceUntilNextPoint() {
        inPlaceBarrier = pointsStarted + 1;
    }

    /**
     * Why a point is due now ("timer": the interval passed with something to write; "journal size": the journal
     * outgrew its limit), or null if none is.
     */
    String due() {
        boolean late = System.nanoTime() - lastCheckpointNanos > options.checkpointIntervalMillis() * 1_000_000L;
        boolean changed = journal.nextSeq() != prevReplaySeq || alloc.usage().pending() > 0;
        boolean big = journal.liveBytes() > options.checkpointJournalBytes();
        return big ? "journal size" : late && changed ? "timer" : null;
    }
}
