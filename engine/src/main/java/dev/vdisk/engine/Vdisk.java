package dev.vdisk.engine;

import dev.vdisk.engine.core.GuardedBy;
import dev.vdisk.engine.error.InvalidRangeException;
import dev.vdisk.engine.error.OutOfSpaceException;
import dev.vdisk.engine.error.ReadOnlyException;
import dev.vdisk.engine.error.VdiskNotFoundException;
import dev.vdisk.engine.format.CatalogEntry;
import dev.vdisk.engine.format.ChangeIndexSegment;
import dev.vdisk.engine.format.Kind;
import dev.vdisk.engine.map.MapTree;
import dev.vdisk.engine.map.StoreMap;
import dev.vdisk.engine.split.SplitCursor;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A handle on one vdisk of an open {@link Pool}: byte-addressed reads, writes, discards and flushes. Thread-safe;
 * meant to be called from many threads at once with direct buffers. Handles are cheap and all handles of one vdisk
 * are the same object; they stop working when the vdisk is deleted or the pool closed.
 *
 * <p>A write is appended to the journal, copied into the changes table (one {@link DirtySegment} per dirty segment)
 * and acknowledged ({@link VdiskWrites}); {@link #flush()} makes every acknowledged write durable. Reads look at the
 * changes table first, then at the map ({@link VdiskReads}). The destager later applies each dirty segment to the
 * pool ({@link SegmentDestage}). A write to a segment that is exclusively mapped, has no changes-table entry, no
 * replayable journal record and no map change not yet durable ({@link TouchedSegments}), and whose change bit a
 * completed point holds, goes straight to the data space instead ({@link InPlaceWriter}; docs/architecture/write-path.md,
 * "In-place writes"). Discards are {@link Discards}'. This class holds the vdisk's identity and catalog state, checks
 * each call and hands it to those parts.
 *
 * <p>Lock order: {@code Pool.cpLock} &gt; {@code Pool.destageLock} &gt; {@link #opLock} &gt; segment gate
 * &gt; {@code DirtySegment.lock} &gt; {@code map.lock()} &gt; allocator and journal (leaves).
 */
public final class Vdisk {
    private final PoolHooks pool;
    private final VdiskServices svc;
    private final long id;
    private final Kind kind;
    private final long ownerId;
    /** The backing snapshot's id, 0 when none (a split clears it; written under Pool.cpLock and the map's lock). */
    private volatile long backingId;
    /** Vdisk: the sequence its next snapshot gets (and birth stamp of new entries); snapshot: its sequence. */
    private volatile long epoch;

    private final long createdMillis;
    private final Map<Integer, byte[]> extensions;
    /** Snapshot: deleted by the user but still read through by clones (written under Pool.cpLock). */
    private volatile boolean hidden;
    /** The snapshot whose data shows through this one's holes (clones and their snapshots), null if none. */
    private volatile Vdisk backing;
    /**
     * A split's persisted state (catalog extension {@link SplitCursor#TAG}), null when no split is recorded. Written by
     * the split task; read by consistency points under Pool.destageLock.
     */
    private volatile SplitCursor split;
    /**
     * After a split released the backing: the sharing family of the former chain (extension
     * {@link VdiskExtensions#ORIGIN_TAG}), so the check accepts segments a SHARE split left shared with it; inherited by
     * snapshots. 0 when none.
     */
    private volatile long originFamily;
    /**
     * Vdisk: segments written or discarded since its newest snapshot (marked by the destager, which is the only
     * place the map changes). Snapshot: its change index, the segments changed while it was the youngest.
     */
    private final ChangeSet changes;
    /** Where {@link #changes} is durable. */
    private final ChangeIndexStore changeIndex;

    private final int segmentSize;

    private volatile String name;

    /**
     * Read by writes (shared), written by discard, resize and delete: discards are ordered against all writes of
     * this vdisk (one journal record for a whole range), and metadata changes see no write in flight.
     */
    private final ReentrantReadWriteLock opLock = new ReentrantReadWriteLock();
    /** The map with its lock, its size and its backing chain's map. */
    private final StoreMap map;
    /** Segments with a replayable journal record or a map change not yet durable: never written in place. */
    private final TouchedSegments touched = new TouchedSegments();

    private final VdiskParts parts;
    /** Grow and delete, with the size the catalog records and the deleted flag. */
    private final VdiskGrowAndDelete growAndDelete;

    Vdisk(VdiskServices svc, CatalogEntry e, MapTree tree) {
        this(svc, e, tree, ChangeSet.decodeInline(e), List.of());
    }

    /** An entry as loaded: {@code changes} read from the segments {@code refs} name (see {@link ChangeIndexStore}). */
    Vdisk(VdiskServices svc, CatalogEntry e, MapTree tree, ChangeSet changes, List<ChangeIndexSegment.Ref> refs) {
        this.svc = svc;
        this.pool = svc.pool();
        this.id = e.id();
        this.name = e.name();
        this.kind = e.kind();
        this.ownerId = e.ownerId();
        this.backingId = e.backingId();
        this.epoch = e.epoch();
        this.createdMillis = e.createdMillis();
        this.extensions = e.extensions();
        this.hidden = e.hidden();
        this.changes = changes;
        this.changeIndex = new ChangeIndexStore(refs);
        this.split = SplitCursor.decode(e.extensions().get(SplitCursor.TAG), e.name());
        this.originFamily = VdiskExtensions.originFamily(e.extensions());
        this.segmentSize = svc.segmentSize();
        this.map = new StoreMap(tree, e.size(), segmentSize);
        this.parts = VdiskParts.wire(
                this, svc, map, touched, changes, opLock, VdiskExtensions.lastPointerSeq(e.extensions()));
        this.growAndDelete = new VdiskGrowAndDelete(svc, map, parts.table(), opLock, segmentSize, e.size());
    }

    public String name() {
        return name;
    }

    public long id() {
        return id;
    }

    /** Size in bytes. */
    public long size() {
        checkLive();
        return map.size();
    }

    Kind kind() {
        return kind;
    }

    long ownerId() {
        return ownerId;
    }

    long backingId() {
        return backingId;
    }

    boolean isDeleted() {
        return growAndDelete.isDeleted();
    }

    long epoch() {
        return epoch;
    }

    void setEpoch(long e) {
        epoch = e;
    }

    boolean hidden() {
        return hidden;
    }

    void hide() {
        hidden = true;
    }

    Vdisk backing() {
        return backing;
    }

    void linkBacking(Vdisk b) {
        backing = b;
        map.setBacking(b == null ? null : b.map);
    }

    /** The split's last step: holes read zeros from now on (the caller checked that none reads data). */
    @GuardedBy("Pool.cpLock, map.lock()")
    void unlinkBacking() {
        backing = null;
        map.setBacking(null);
        backingId = 0;
    }

    SplitCursor split() {
        return split;
    }

    void setSplit(SplitCursor c) {
        split = c;
    }

    long originFamily() {
        return originFamily;
    }

    void setOriginFamily(long f) {
        originFamily = f;
    }

    long createdMillis() {
        return createdMillis;
    }

    long sizeWithoutCheck() {
        return map.size();
    }

    CatalogEntry toCatalogEntryWithoutLocking() {
        Map<Integer, byte[]> ext = VdiskExtensions.merge(
                extensions,
                changeIndex.encodeRefs(),
                split,
                originFamily,
                parts.pointers().lastSeq());
        return new CatalogEntry(
                id,
                name,
                kind,
                hidden,
                growAndDelete.catalogSize(),
                map.tree().rootWord0(),
                map.tree().rootWord1(),
                map.tree().height(),
                ownerId,
                backingId,
                epoch,
                createdMillis,
                ext);
    }

    /** Throws if the pool is closed or this vdisk deleted (or a hidden snapshot). */
    void checkLive() {
        pool.checkOpen();
        if (growAndDelete.isDeleted() || hidden) {
            throw new VdiskNotFoundException(
                    (kind == Kind.SNAPSHOT ? "snapshot " : "vdisk ") + name + " was deleted; open an existing one");
        }
    }

    private void checkWritable() {
        if (kind == Kind.SNAPSHOT) {
            throw new ReadOnlyException("snapshot " + name + " is read-only; clone it to get a writable vdisk");
        }
    }

    private void checkRange(long offset, long length, long limit) {
        if (offset < 0 || length < 0 || offset > limit || length > limit - offset) {
            throw new InvalidRangeException("range [" + offset + ", " + offset + "+" + length + ") is outside vdisk "
                    + name + " of " + limit + " bytes; stay within the vdisk or resize it");
        }
    }

    /** The map with its lock, size and backing chain (consistency points, snapshots, splits, the check). */
    StoreMap map() {
        return map;
    }

    /** The change index (see {@link #changes}): snapshots and deletions merge it, deltas read it. */
    ChangeSet changes() {
        return changes;
    }

    /** Where the change index is durable: points write its dirty ranges, deletion releases it. */
    ChangeIndexStore changeIndex() {
        return changeIndex;
    }

    /** Segments never written in place for now: consistency points close, seal and retire their generations. */
    TouchedSegments touched() {
        return touched;
    }

    /** The operation lock (see {@link #opLock}): snapshots and a split's release hold it exclusively. */
    ReentrantReadWriteLock opLock() {
        return opLock;
    }

    // ---------------------------------------------------------------- I/O

    /**
     * Reads up to {@code dst.remaining()} bytes at {@code offset} into {@code dst} (advancing its position) and
     * returns how many: fewer only at the end of the vdisk, 0 at or past it.
     */
    public int read(long offset, ByteBuffer dst) {
        checkLive();
        pool.noteForegroundIo();
        long sz = map.size();
        if (offset < 0 || offset > sz) {
            throw new InvalidRangeException("read at " + offset + " is outside vdisk " + name + " of " + sz + " bytes");
        }
        int n = (int) Math.min(dst.remaining(), sz - offset);
        parts.reads().read(offset, dst, n);
        return n;
    }

    /**
     * Writes all of {@code src} at {@code offset} (advancing its position). When this returns the write is
     * acknowledged: reads see it, and it is durable after the next {@link #flush()}.
     *
     * @throws OutOfSpaceException when the pool cannot hold the new data (nothing of the failing segment was
     *     journalled; leading segments of a multi-segment write may have been)
     */
    public void write(long offset, ByteBuffer src) {
        checkLive();
        pool.noteForegroundIo();
        checkWritable();
        checkRange(offset, src.remaining(), map.size());
        pool.throttle();
        parts.writes().write(offset, src);
    }

    /**
     * Makes every write acknowledged so far (on any vdisk of the pool) durable: fsyncs the data space (in-place writes;
     * skipped when nothing was written since the last fsync) and the journal. Concurrent flushes share fsyncs.
     */
    public void flush() {
        checkLive();
        svc.data().force(); // writes made in place
        svc.journal().awaitDurable(svc.journal().lastSeq());
    }

    /**
     * Makes {@code [offset, offset+length)} read zeros. Whole segments in the range return to the zero state and their
     * space is freed (once destaged and checkpointed); partial segments get zero blocks.
     */
    public void discard(long offset, long length) {
        checkLive();
        pool.noteForegroundIo();
        checkWritable();
        checkRange(offset, length, map.size());
        if (length == 0) {
            return;
        }
        parts.discards().discard(offset, length);
    }

    /** Re-applies this vdisk's journal records at open. */
    VdiskReplay replay() {
        return parts.replay();
    }

    /** The parts behind this handle: the destager destages through them, points read the changes table. */
    VdiskParts parts() {
        return parts;
    }

    /** Writes that went straight to the data space so far (tests, metrics). */
    long inPlaceWrites() {
        return parts.inPlace().writes();
    }

    /** Tests: {@code hook} runs in an in-place write after it decided, before it writes (holding the gate). */
    void beforeInPlaceWrite(Runnable hook) {
        parts.inPlace().beforeWrite = hook;
    }

    /** Grow and delete (under Pool.cpLock); the catalog's size leads the map's until {@code publishSize}. */
    VdiskGrowAndDelete growAndDelete() {
        return growAndDelete;
    }

    void rename(String newName) {
        this.name = newName;
    }

    /** This vdisk's description (walks the map for the allocated bytes). */
    VdiskInfo info() {
        return new VdiskInfo(id, name, map.size(), allocatedBytes(), createdMillis);
    }

    long allocatedBytes() {
        return map.dataSegments() * segmentSize;
    }

    @Override
    public String toString() {
        return "vdisk " + name + " (id " + id + ", " + map.size() + " bytes)";
    }
}
