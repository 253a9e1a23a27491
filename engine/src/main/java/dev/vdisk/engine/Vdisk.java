package dev.vdisk.engine;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.format.CatalogEntry;
import dev.vdisk.engine.format.Kind;
import dev.vdisk.engine.format.MapEntry;
import dev.vdisk.engine.journal.JournalRecord;
import dev.vdisk.engine.map.MapTree;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A handle on one vdisk of an open {@link Pool}: byte-addressed reads, writes, discards and flushes. Thread-safe;
 * meant to be called from many threads at once with direct buffers. Handles are cheap and all handles of one vdisk
 * are the same object; they stop working when the vdisk is deleted or the pool closed.
 *
 * <p>A write is appended to the journal, copied into the changes table (one {@link DirtySegment} per dirty segment)
 * and acknowledged; {@link #flush()} makes every acknowledged write durable. Reads look at the changes table first,
 * then at the map. The destager later applies each dirty segment to the pool ({@link #destage}). A write to a segment
 * that is exclusively mapped, has no changes-table entry, no replayable journal record and no map change not yet
 * durable ({@link #touched}), and whose change bit a completed point holds, goes straight to the data space instead
 * ({@link #tryWriteInPlace}; docs/architecture/write-path.md, "In-place writes").
 *
 * <p>Lock order: {@code Pool.cpLock} &gt; {@code Pool.destageLock} &gt; {@link #opLock} &gt; segment gate
 * &gt; {@code DirtySegment.lock} &gt; {@link #mapLock} &gt; allocator and journal (leaves).
 */
public final class Vdisk {
    private static final int BLOCK = Slab.BLOCK;
    private static final int BLOCK_SHIFT = 12;
    /** Longest discard one journal record describes (its length field is 32 bits). */
    private static final long MAX_DISCARD_RECORD = 1L << 30;

    private final Pool pool;
    private final long id;
    private final Kind kind;
    private final long ownerId;
    /** The backing snapshot's id, 0 when none (a split clears it; written under Pool.cpLock and mapLock). */
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
     * After a split released the backing: the sharing family of the former chain (extension {@link #ORIGIN_TAG}), so
     * the check accepts segments a SHARE split left shared with it; inherited by snapshots. 0 when none.
     */
    private volatile long originFamily;
    /** Catalog extension tag of {@link #originFamily} (u64 little-endian). */
    static final int ORIGIN_TAG = 3;
    /**
     * Vdisk: segments written or discarded since its newest snapshot (marked by the destager, which is the only
     * place the map changes). Snapshot: its change index, the segments changed while it was the youngest.
     */
    final ChangeSet changes;
    private final int segmentSize;
    private final int segmentShift;
    private final int blocksPerSegment;

    private volatile String name;
    private volatile long size;
    /**
     * The size the catalog records: ahead of {@link #size} from a grow until its consistency point is durable
     * ({@link #publishSize}), so that no write beyond the old size is accepted (and flushed) while a crash would still
     * recover the old size, whose replay drops records beyond it.
     */
    private volatile long catalogSize;
    private volatile boolean deleted;

    /**
     * Read by writes (shared), written by discard, resize and delete: discards are ordered against all writes of
     * this vdisk (one journal record for a whole range), and metadata changes see no write in flight.
     */
    final ReentrantReadWriteLock opLock = new ReentrantReadWriteLock();
    /** Guards {@link #tree}: read for lookups (held across the data read so a looked-up segment stays valid), written by the destager and consistency points. */
    final ReentrantReadWriteLock mapLock = new ReentrantReadWriteLock();
    @GuardedBy("mapLock")
    final MapTree tree;
    /** The changes table of this vdisk: segment index to its dirty state. */
    final ConcurrentHashMap<Long, DirtySegment> table = new ConcurrentHashMap<>();
    /** Segments with a replayable journal record or a map change not yet durable: never written in place. */
    final TouchedSegments touched = new TouchedSegments();
    /**
     * Per-segment gates (striped by segment index) between in-place writes and the changes table: an in-place write
     * holds its segment's gate shared while it decides and writes, and a changes-table entry is only created under the
     * gate held exclusively, so no journal write to the segment starts while an in-place write to it is under way, and
     * none is in flight when one decides.
     */
    private final ReentrantReadWriteLock[] gates = new ReentrantReadWriteLock[GATES];
    private static final int GATES = 64;
    /**
     * Per gate, 16 longs apart (own cache lines): at {@code 16 g} the in-place writes in flight, at {@code 16 g + 8}
     * those completed. A page-cache write is not atomic against a concurrent read of the same page (the kernel copies
     * into an up-to-date page that readers copy from without a lock), so reads of a segment without an entry check
     * these and retry rather than return a torn block ({@link #readMappedUntorn}).
     */
    private final AtomicLongArray inPlaceCounts = new AtomicLongArray(GATES * 16);
    /** Tests: runs in an in-place write after it decided, before it writes (holding the segment's gate). */
    volatile Runnable beforeInPlaceWrite = () -> { };
    /** Writes (per segment piece) that went straight to the data space. */
    private final LongAdder inPlaceWrites = new LongAdder();

    Vdisk(Pool pool, CatalogEntry e, MapTree tree) {
        this.pool = pool;
        this.id = e.id();
        this.name = e.name();
        this.kind = e.kind();
        this.size = e.size();
        this.catalogSize = e.size();
        this.ownerId = e.ownerId();
        this.backingId = e.backingId();
        this.epoch = e.epoch();
        this.createdMillis = e.createdMillis();
        this.extensions = e.extensions();
        this.hidden = e.hidden();
        this.changes = ChangeSet.decode(e.extensions().get(ChangeSet.TAG), e.name());
        this.split = SplitCursor.decode(e.extensions().get(SplitCursor.TAG), e.name());
        byte[] origin = e.extensions().get(ORIGIN_TAG);
        this.originFamily = origin == null ? 0
                : java.nio.ByteBuffer.wrap(origin).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        this.tree = tree;
        this.segmentSize = pool.segmentSize();
        this.segmentShift = Integer.numberOfTrailingZeros(segmentSize);
        this.blocksPerSegment = segmentSize / BLOCK;
        for (int i = 0; i < GATES; i++) {
            gates[i] = new ReentrantReadWriteLock();
        }
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
        return size;
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
        return deleted;
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
    }

    /** The split's last step: holes read zeros from now on (the caller checked that none reads data). */
    @GuardedBy("Pool.cpLock, mapLock")
    void unlinkBacking() {
        backing = null;
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
        return size;
    }

    CatalogEntry toCatalogEntryWithoutLocking() {
        Map<Integer, byte[]> ext = new java.util.HashMap<>(extensions);
        ext.remove(ChangeSet.TAG);
        if (!changes.isEmpty()) {
            ext.put(ChangeSet.TAG, changes.encode());
        }
        ext.remove(SplitCursor.TAG);
        SplitCursor sc = split;
        if (sc != null) {
            ext.put(SplitCursor.TAG, sc.encode());
        }
        ext.remove(ORIGIN_TAG);
        if (originFamily != 0) {
            ext.put(ORIGIN_TAG, java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                    .putLong(originFamily).array());
        }
        return new CatalogEntry(id, name, kind, hidden, catalogSize, tree.rootWord0(), tree.rootWord1(), tree.height(),
                ownerId, backingId, epoch, createdMillis, ext);
    }

    private void checkLive() {
        pool.checkOpen();
        if (deleted || hidden) {
            throw new VdiskNotFoundException((kind == Kind.SNAPSHOT ? "snapshot " : "vdisk ") + name
                    + " was deleted; open an existing one");
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

    // ---------------------------------------------------------------- reads

    /**
     * Reads up to {@code dst.remaining()} bytes at {@code offset} into {@code dst} (advancing its position) and
     * returns how many: fewer only at the end of the vdisk, 0 at or past it.
     */
    public int read(long offset, ByteBuffer dst) {
        checkLive();
        pool.noteForegroundIo();
        long sz = size;
        if (offset < 0 || offset > sz) {
            throw new InvalidRangeException("read at " + offset + " is outside vdisk " + name + " of " + sz + " bytes");
        }
        int n = (int) Math.min(dst.remaining(), sz - offset);
        int limit = dst.limit();
        int end = dst.position() + n;
        try {
            long pos = offset;
            while (dst.position() < end) {
                long seg = pos >>> segmentShift;
                int inSeg = (int) (pos & (segmentSize - 1));
                int chunk = Math.min(end - dst.position(), segmentSize - inSeg);
                dst.limit(dst.position() + chunk);
                readSegment(seg, inSeg, dst);
                pos += chunk;
            }
        } finally {
            dst.limit(limit);
        }
        return n;
    }

    private void readSegment(long seg, int inSeg, ByteBuffer dst) {
        DirtySegment ds = table.get(seg);
        if (ds != null) {
            ds.lock.lock();
            try {
                if (!ds.dead) {
                    readThroughEntryWithoutLocking(ds, inSeg, dst);
                    return;
                }
            } finally {
                ds.lock.unlock();
            }
        }
        readMappedUntorn(seg, inSeg, dst);
    }

    /**
     * {@link #readMapped} for a segment without a changes-table entry, where an in-place write may be under way: a
     * read that overlapped one of its gate's in-place writes is repeated (a few times, then under the gate held
     * exclusively, which waits for them), so a 4 KiB block is never returned half written.
     */
    private void readMappedUntorn(long seg, int inSeg, ByteBuffer dst) {
        int g = (int) (seg & (GATES - 1));
        int pos = dst.position();
        for (int attempt = 0; attempt < 4; attempt++) {
            long done = inPlaceCounts.get(16 * g + 8);
            if (inPlaceCounts.get(16 * g) == 0) {
                readMapped(seg, inSeg, dst);
                if (inPlaceCounts.get(16 * g) == 0 && inPlaceCounts.get(16 * g + 8) == done) {
                    return;
                }
                dst.position(pos);
            }
            Thread.onSpinWait();
        }
        ReentrantReadWriteLock.WriteLock gate = gates[g].writeLock();
        gate.lock();
        try {
            readMapped(seg, inSeg, dst);
        } finally {
            gate.unlock();
        }
    }

    @GuardedBy("ds.lock")
    private void readThroughEntryWithoutLocking(DirtySegment ds, int inSeg, ByteBuffer dst) {
        ByteBuffer slab = pool.slab().memory();
        int end = dst.limit();
        int off = inSeg;
        while (dst.position() < end) {
            int b = off >>> BLOCK_SHIFT;
            int bo = off & (BLOCK - 1);
            int n = Math.min(BLOCK - bo, end - dst.position());
            int slot = ds.slots[b];
            if (slot >= 0) {
                dst.put(dst.position(), slab, Slab.offsetOf(slot) + bo, n);
                dst.position(dst.position() + n);
            } else if (slot == DirtySegment.ZEROED || ds.baseZero) {
                pool.zero(dst, n);
            } else {
                // extend over following clean blocks and read them from the map in one go
                int run = n;
                while (dst.position() + run < end && ds.slots[(off + run) >>> BLOCK_SHIFT] == DirtySegment.CLEAN) {
                    run = Math.min(run + BLOCK, end - dst.position());
                }
                n = run;
                dst.limit(dst.position() + n);
                try {
                    readMapped(ds.index, off, dst);
                } finally {
                    dst.limit(end);
                }
            }
            off += n;
        }
    }

    /**
     * Reads {@code dst.remaining()} bytes of segment {@code seg} from {@code inSeg} as the map has them: a hole reads
     * the same segment of the backing snapshot (recursively, holding each map's read lock: a clone's map lock comes
     * before its backing's), a zero entry or a hole at the end of the chain reads zeros.
     */
    private void readMapped(long seg, int inSeg, ByteBuffer dst) {
        mapLock.readLock().lock();
        try {
            long w0 = tree.lookup(seg);
            Vdisk b = backing;
            if (MapEntry.isMapped(w0)) {
                pool.data().readFully(dst, (MapEntry.vbn(w0) << segmentShift) + inSeg);
            } else if (MapEntry.isHole(w0) && b != null && (seg << segmentShift) < b.size) {
                b.readMapped(seg, inSeg, dst);
            } else {
                pool.zero(dst, dst.remaining());
            }
        } finally {
            mapLock.readLock().unlock();
        }
    }

    /** True if segment {@code seg} reads data (not zeros) from the map: mapped here or along the backing chain. */
    boolean inUse(long seg) {
        if (seg < 0 || (seg << segmentShift) >= size) {
            return false;
        }
        long w0;
        mapLock.readLock().lock();
        try {
            w0 = tree.lookup(seg);
        } finally {
            mapLock.readLock().unlock();
        }
        if (MapEntry.isMapped(w0)) {
            return true;
        }
        Vdisk b = backing;
        return MapEntry.isHole(w0) && b != null && b.inUse(seg);
    }

    /** The smallest segment {@code >= from} mapped in this map or along its backing chain (a superset of in use), or -1. */
    long nextCandidate(long from) {
        return nextMappedInChain(this, from, (size + segmentSize - 1) >>> segmentShift);
    }

    /**
     * The smallest segment in {@code [from, limit)} mapped in {@code first} or any store along its backing chain, or -1
     * ({@code first} may be null: an empty chain). Each map is read under its own read lock, one at a time.
     */
    static long nextMappedInChain(Vdisk first, long from, long limit) {
        long best = -1;
        for (Vdisk x = first; x != null; x = x.backing) {
            long n;
            x.mapLock.readLock().lock();
            try {
                n = x.tree.nextMapped(from);
            } finally {
                x.mapLock.readLock().unlock();
            }
            if (n >= 0 && n < limit && (best < 0 || n < best)) {
                best = n;
            }
        }
        return best;
    }

    // ---------------------------------------------------------------- writes

    /** Per-thread scratch space so that the write path allocates nothing. */
    private static final class Scratch {
        final int[] slots = new int[256];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

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
        int len = src.remaining();
        checkRange(offset, len, size);
        pool.throttle();
        int limit = src.limit();
        int end = src.position() + len;
        try {
            long pos = offset;
            while (src.position() < end) {
                long seg = pos >>> segmentShift;
                int inSeg = (int) (pos & (segmentSize - 1));
                int chunk = Math.min(end - src.position(), segmentSize - inSeg);
                src.limit(src.position() + chunk);
                writeSegment(seg, inSeg, pos, src, -1);
                src.position(src.position() + chunk);
                pos += chunk;
            }
        } finally {
            src.limit(limit);
        }
    }

    /** Writes {@code src}'s remaining bytes (within one segment) without moving its position. */
    private void writeSegment(long seg, int inSeg, long pos, ByteBuffer src, long replaySeq) {
        if (replaySeq < 0 && tryWriteInPlace(seg, inSeg, src)) {
            return;
        }
        int len = src.remaining();
        int nb = ((inSeg + len - 1) >>> BLOCK_SHIFT) - (inSeg >>> BLOCK_SHIFT) + 1;
        Scratch s = SCRATCH.get();
        int[] slots = s.slots;
        pool.slab().acquire(nb, slots);
        try {
            for (int attempt = 0; ; attempt++) {
                if (tryWriteSegment(seg, inSeg, pos, src, replaySeq, slots)) {
                    return;
                }
                if (attempt >= 3 || !pool.checkpointToFreeSpace()) {
                    Allocator.Usage u = pool.allocator().usage();
                    throw new OutOfSpaceException("write of " + len + " bytes at " + pos + " to vdisk " + name,
                            u.available() * segmentSize, (1L + tree.height()) * segmentSize);
                }
            }
        } finally {
            pool.slab().release(slots, 0, nb);
        }
    }

    /**
     * Writes {@code src}'s remaining bytes (within segment {@code seg}, without moving its position) straight to the
     * mapped segment when a crash could neither undo nor misplace them there: the segment is exclusively mapped (the
     * destager would write it in place too), has no changes-table entry, no journal record replay could apply and no map
     * change a crash could lose ({@link #touched}), and its change bit is set (the destage that set it is in a
     * completed point, or it would still be touched; a crash cannot lose the mark a delta needs). False, having written
     * nothing, otherwise. Durable at the next {@link #flush()} (which fsyncs the data space first).
     */
    private boolean tryWriteInPlace(long seg, int inSeg, ByteBuffer src) {
        if (table.containsKey(seg) || touched.has(seg)) {
            return false; // the common refusals, without locks (the change set's lookup synchronises: once, below)
        }
        opLock.readLock().lock();
        try {
            checkLive();
            ReentrantReadWriteLock.ReadLock gate = gates[(int) (seg & (GATES - 1))].readLock();
            gate.lock();
            try {
                // under the gate no entry for seg appears, so nothing journals, destages or remaps it meanwhile; an
                // entry destaged just before is gone from the table only after its destage marked seg touched
                if (table.containsKey(seg) || touched.has(seg) || !changes.has(seg)) {
                    return false;
                }
                long vbn;
                mapLock.readLock().lock();
                try {
                    if (!tree.exclusivelyMapped(seg, pool.allocator())) {
                        return false;
                    }
                    vbn = MapEntry.vbn(tree.lookup(seg));
                } finally {
                    mapLock.readLock().unlock();
                }
                if (!pool.inPlaceAllowed()) { // after the reference counts were read: see Pool.inPlaceAllowed
                    return false;
                }
                // the entry cannot change without an entry in the table (gate), a discard or a snapshot (opLock), and
                // a split's fill only fills holes: no need to hold the map lock across the write
                beforeInPlaceWrite.run();
                int g = (int) (seg & (GATES - 1));
                int p = src.position();
                inPlaceCounts.getAndIncrement(16 * g);
                try {
                    pool.data().writeFully(src, (vbn << segmentShift) + inSeg);
                } finally {
                    inPlaceCounts.getAndIncrement(16 * g + 8); // before the in-flight count drops: see readMappedUntorn
                    inPlaceCounts.getAndDecrement(16 * g);
                }
                src.position(p);
                inPlaceWrites.increment();
                return true;
            } finally {
                gate.unlock();
            }
        } finally {
            opLock.readLock().unlock();
        }
    }

    /** Writes that went straight to the data space so far (tests, metrics). */
    long inPlaceWrites() {
        return inPlaceWrites.sum();
    }

    private boolean tryWriteSegment(long seg, int inSeg, long pos, ByteBuffer src, long replaySeq, int[] slots) {
        opLock.readLock().lock();
        try {
            checkLive();
            DirtySegment ds = lockedEntry(seg);
            try {
                if (!reserveWithoutLocking(ds)) {
                    return false;
                }
                long seq = replaySeq >= 0 ? replaySeq
                        : pool.journal().append(id, pos, src.remaining(), JournalRecord.TYPE_WRITE, src);
                ds.noteSeqWithoutLocking(seq);
                touched.mark(seg); // after the append, under ds.lock: see TouchedSegments
                applyWithoutLocking(ds, inSeg, src, slots);
                enqueueWithoutLocking(ds);
                return true;
            } finally {
                ds.lock.unlock();
            }
        } finally {
            opLock.readLock().unlock();
        }
    }

    /** Reserves space to destage {@code ds} if it will need a new segment; false (and {@code ds} dropped if empty) if none. */
    @GuardedBy("ds.lock")
    private boolean reserveWithoutLocking(DirtySegment ds) {
        if (!ds.needsAlloc || ds.reservation > 0) {
            return true;
        }
        int need = 1 + tree.height();
        if (!pool.allocator().tryReserve(need)) {
            if (ds.isEmptyWithoutLocking()) {
                dropWithoutLocking(ds);
            }
            return false;
        }
        ds.reservation = need;
        return true;
    }

    /** Returns the live changes-table entry for {@code seg}, created if needed, with its lock held. */
    private DirtySegment lockedEntry(long seg) {
        while (true) {
            DirtySegment ds = table.get(seg);
            if (ds == null) {
                DirtySegment fresh = new DirtySegment(this, seg, blocksPerSegment);
                ReentrantReadWriteLock.WriteLock gate = gates[(int) (seg & (GATES - 1))].writeLock();
                gate.lock(); // an in-place write to seg in flight ends first, and none starts while the entry lives
                try {
                    fresh.lock.lock();
                    ds = table.putIfAbsent(seg, fresh);
                } finally {
                    gate.unlock();
                }
                if (ds == null) {
                    mapLock.readLock().lock();
                    try {
                        long w0 = tree.lookup(seg);
                        fresh.needsAlloc = !tree.exclusivelyMapped(seg, pool.allocator());
                    } catch (RuntimeException e) {
                        dropWithoutLocking(fresh);
                        fresh.lock.unlock();
                        throw e;
                    } finally {
                        mapLock.readLock().unlock();
                    }
                    return fresh;
                }
                fresh.lock.unlock();
            }
            ds.lock.lock();
            if (!ds.dead) {
                return ds;
            }
            ds.lock.unlock();
        }
    }

    @GuardedBy("ds.lock")
    private void dropWithoutLocking(DirtySegment ds) {
        for (int b = 0; b < ds.slots.length; b++) {
            if (ds.slots[b] >= 0) {
                pool.slab().release(ds.slots[b]);
            }
            ds.slots[b] = DirtySegment.CLEAN;
        }
        ds.dirtyBlocks = 0;
        ds.baseZero = false;
        pool.allocator().unreserve(ds.reservation);
        ds.reservation = 0;
        ds.dead = true;
        table.remove(ds.index, ds);
    }

    @GuardedBy("ds.lock")
    private void enqueueWithoutLocking(DirtySegment ds) {
        if (!ds.queued) {
            ds.queued = true;
            pool.destager().enqueue(ds);
        }
    }

    /** Copies {@code src}'s remaining bytes into the entry's blocks, merging partial blocks with the current content. */
    @GuardedBy("ds.lock")
    private void applyWithoutLocking(DirtySegment ds, int inSeg, ByteBuffer src, int[] slots) {
        ByteBuffer slab = pool.slab().memory();
        int p = src.position();
        int end = src.limit();
        int off = inSeg;
        int k = 0;
        while (p < end) {
            int b = off >>> BLOCK_SHIFT;
            int bo = off & (BLOCK - 1);
            int n = Math.min(BLOCK - bo, end - p);
            int slot = ds.slots[b];
            if (slot < 0) {
                int fresh = slots[k];
                slots[k++] = -1;
                if (n < BLOCK) {
                    fillBaseWithoutLocking(ds, b, slot, fresh);
                }
                if (slot == DirtySegment.CLEAN) {
                    ds.dirtyBlocks++;
                }
                ds.slots[b] = fresh;
                slot = fresh;
            }
            slab.put(Slab.offsetOf(slot) + bo, src, p, n);
            p += n;
            off += n;
        }
    }

    /** Fills slab block {@code fresh} with block {@code b}'s current content (before a partial overwrite). */
    @GuardedBy("ds.lock")
    private void fillBaseWithoutLocking(DirtySegment ds, int b, int oldSlot, int fresh) {
        ByteBuffer block = pool.slab().memory().slice(Slab.offsetOf(fresh), BLOCK);
        if (oldSlot == DirtySegment.ZEROED || ds.baseZero) {
            pool.zero(block, BLOCK);
        } else {
            readMapped(ds.index, b * BLOCK, block);
        }
    }

    // ---------------------------------------------------------------- flush and discard

    /**
     * Makes every write acknowledged so far (on any vdisk of the pool) durable: fsyncs the data space (in-place writes;
     * skipped when nothing was written since the last fsync) and the journal. Concurrent flushes share fsyncs.
     */
    public void flush() {
        checkLive();
        pool.data().force(); // writes made in place
        pool.journal().awaitDurable(pool.journal().lastSeq());
    }

    /**
     * Makes {@code [offset, offset+length)} read zeros. Whole segments in the range return to the zero state and their
     * space is freed (once destaged and checkpointed); partial segments get zero blocks.
     */
    public void discard(long offset, long length) {
        checkLive();
        pool.noteForegroundIo();
        checkWritable();
        checkRange(offset, length, size);
        if (length == 0) {
            return;
        }
        int[] slots = SCRATCH.get().slots;
        pool.slab().acquire(2, slots);
        opLock.writeLock().lock();
        try {
            checkLive();
            long pos = offset;
            long end = offset + length;
            while (pos < end) {
                long n = Math.min(MAX_DISCARD_RECORD, end - pos);
                long seq = pool.journal().append(id, pos, (int) n, JournalRecord.TYPE_DISCARD, null);
                applyDiscardWithoutLocking(pos, n, seq, slots);
                pos += n;
            }
        } finally {
            opLock.writeLock().unlock();
            pool.slab().release(slots, 0, 2);
        }
    }

    @GuardedBy("opLock.writeLock")
    private void applyDiscardWithoutLocking(long offset, long length, long seq, int[] slots) {
        long end = offset + length;
        long firstSeg = offset >>> segmentShift;
        long lastSeg = (end - 1) >>> segmentShift;
        long fullFrom = (offset & (segmentSize - 1)) == 0 ? firstSeg : firstSeg + 1;
        long fullTo = (end & (segmentSize - 1)) == 0 ? lastSeg + 1 : lastSeg; // exclusive
        if ((offset & (segmentSize - 1)) != 0) {
            int from = (int) (offset & (segmentSize - 1));
            int to = firstSeg == lastSeg && (end & (segmentSize - 1)) != 0 ? (int) (end & (segmentSize - 1)) : segmentSize;
            zeroPartial(firstSeg, from, to, seq, slots);
        }
        if ((end & (segmentSize - 1)) != 0 && (lastSeg != firstSeg || (offset & (segmentSize - 1)) == 0)) {
            zeroPartial(lastSeg, 0, (int) (end & (segmentSize - 1)), seq, slots);
        }
        if (fullFrom < fullTo) {
            TreeSet<Long> segs = new TreeSet<>();
            mapLock.readLock().lock();
            try {
                tree.forEachMapped(fullFrom, fullTo, segs::add);
            } finally {
                mapLock.readLock().unlock();
            }
            for (Long s : table.keySet()) {
                if (s >= fullFrom && s < fullTo) {
                    segs.add(s);
                }
            }
            // a clone's holes over backing data must become zero entries (a hole would show the backing again)
            for (Vdisk b = backing; b != null; b = b.backing) {
                Vdisk x = b;
                x.mapLock.readLock().lock();
                try {
                    x.tree.forEachMapped(fullFrom, fullTo, segs::add);
                } finally {
                    x.mapLock.readLock().unlock();
                }
            }
            for (long s : segs) {
                discardWhole(s, seq);
            }
        }
    }

    private void discardWhole(long seg, long seq) {
        DirtySegment ds = lockedEntry(seg);
        try {
            for (int b = 0; b < ds.slots.length; b++) {
                if (ds.slots[b] >= 0) {
                    pool.slab().release(ds.slots[b]);
                }
                ds.slots[b] = DirtySegment.CLEAN;
            }
            ds.dirtyBlocks = 0;
            ds.noteSeqWithoutLocking(seq);
            touched.mark(seg);
            long w0 = lookupWithLock(seg);
            if (!MapEntry.isMapped(w0) && !(MapEntry.isHole(w0) && backing != null && backing.inUse(seg))) {
                dropWithoutLocking(ds);
                return;
            }
            ds.baseZero = true;
            ds.needsAlloc = true;
            enqueueWithoutLocking(ds);
        } finally {
            ds.lock.unlock();
        }
    }

    private long lookupWithLock(long seg) {
        mapLock.readLock().lock();
        try {
            return tree.lookup(seg);
        } finally {
            mapLock.readLock().unlock();
        }
    }

    /** Zeros bytes {@code [from, to)} of segment {@code seg}. */
    private void zeroPartial(long seg, int from, int to, long seq, int[] slots) {
        DirtySegment ds = lockedEntry(seg);
        try {
            boolean baseReadsZero = ds.baseZero || !inUse(seg);
            ByteBuffer slab = pool.slab().memory();
            for (int b = from >>> BLOCK_SHIFT; b <= (to - 1) >>> BLOCK_SHIFT; b++) {
                int bs = Math.max(from, b * BLOCK);
                int be = Math.min(to, (b + 1) * BLOCK);
                int slot = ds.slots[b];
                if (be - bs == BLOCK) {
                    if (slot >= 0) {
                        pool.slab().release(slot);
                    }
                    int next = baseReadsZero ? DirtySegment.CLEAN : DirtySegment.ZEROED;
                    if (slot != DirtySegment.CLEAN && next == DirtySegment.CLEAN) {
                        ds.dirtyBlocks--;
                    } else if (slot == DirtySegment.CLEAN && next != DirtySegment.CLEAN) {
                        ds.dirtyBlocks++;
                    }
                    ds.slots[b] = next;
                } else if (slot >= 0) {
                    pool.zero(slab.slice(Slab.offsetOf(slot) + (bs - b * BLOCK), be - bs), be - bs);
                } else if (slot == DirtySegment.CLEAN && !baseReadsZero) {
                    int fresh = slots[0] >= 0 ? slots[0] : slots[1];
                    if (slots[0] >= 0) {
                        slots[0] = -1;
                    } else {
                        slots[1] = -1;
                    }
                    fillBaseWithoutLocking(ds, b, slot, fresh);
                    pool.zero(slab.slice(Slab.offsetOf(fresh) + (bs - b * BLOCK), be - bs), be - bs);
                    ds.slots[b] = fresh;
                    ds.dirtyBlocks++;
                }
            }
            ds.noteSeqWithoutLocking(seq);
            touched.mark(seg);
            if (ds.isEmptyWithoutLocking()) {
                dropWithoutLocking(ds);
                return;
            }
            if (!reserveWithoutLocking(ds)) {
                throw new OutOfSpaceException("discard in shared segment " + seg + " of vdisk " + name,
                        pool.allocator().usage().available() * segmentSize, segmentSize);
            }
            enqueueWithoutLocking(ds);
        } finally {
            ds.lock.unlock();
        }
    }

    // ---------------------------------------------------------------- replay

    void replayWrite(long seq, long offset, ByteBuffer payload) {
        if (deleted || offset + payload.remaining() > size) {
            return;
        }
        long pos = offset;
        int end = payload.limit();
        while (payload.position() < end) {
            long seg = pos >>> segmentShift;
            int inSeg = (int) (pos & (segmentSize - 1));
            int chunk = Math.min(end - payload.position(), segmentSize - inSeg);
            payload.limit(payload.position() + chunk);
            writeSegment(seg, inSeg, pos, payload, seq);
            payload.position(payload.position() + chunk);
            payload.limit(end);
            pos += chunk;
        }
    }

    void replayDiscard(long seq, long offset, long length) {
        if (deleted || offset + length > size || length == 0) {
            return;
        }
        int[] slots = SCRATCH.get().slots;
        pool.slab().acquire(2, slots);
        opLock.writeLock().lock();
        try {
            applyDiscardWithoutLocking(offset, length, seq, slots);
        } finally {
            opLock.writeLock().unlock();
            pool.slab().release(slots, 0, 2);
        }
    }

    // ---------------------------------------------------------------- destage

    /**
     * Applies one dirty segment to the pool: in place when the mapped segment is exclusively ours, else into a new
     * segment built from the old content (zeros for holes) overlaid with the dirty blocks, then updates the map. Only
     * journal records already durable are applied to the pool, so the pool never holds data the journal could lose.
     *
     * @param staging one segment of direct memory owned by the destager
     */
    @GuardedBy("Pool.destageLock")
    void destage(DirtySegment ds, ByteBuffer staging) {
        destage(ds, staging, true);
    }

    /**
     * As {@link #destage(DirtySegment, ByteBuffer)}; with {@code wait} false, returns false (leaving {@code ds} queued)
     * instead of waiting for an fsync when its newest record is not durable yet.
     */
    @GuardedBy("Pool.destageLock")
    boolean destage(DirtySegment ds, ByteBuffer staging, boolean wait) {
        ds.lock.lock();
        try {
            if (ds.dead) {
                ds.queued = false;
                return true;
            }
            if (!wait && ds.maxSeq > pool.journal().durableSeq()) {
                return false;
            }
            ds.queued = false;
            pool.journal().awaitDurable(ds.maxSeq);
            Allocator alloc = pool.allocator();
            long seg = ds.index;
            long w0 = lookupWithLock(seg);
            long oldVbn = MapEntry.vbn(w0);
            boolean exclusive;
            mapLock.readLock().lock();
            try {
                exclusive = tree.exclusivelyMapped(seg, alloc);
            } finally {
                mapLock.readLock().unlock();
            }
            long segPos = oldVbn << segmentShift;
            changes.mark(seg);
            touched.mark(seg); // the map or the data changes now, under destageLock; a crash before the next point
            // completes may also replay this entry's records
            if (ds.dirtyBlocks == 0) {
                if (ds.baseZero && oldVbn != 0) {
                    setEntry(seg, MapEntry.ZERO, ds);
                    alloc.decref(oldVbn);
                } else if (ds.baseZero && MapEntry.isHole(w0) && backing != null) {
                    setEntry(seg, MapEntry.ZERO, ds);
                }
            } else if (exclusive && !ds.baseZero) {
                writeRunsInPlace(ds, segPos, staging);
            } else {
                buildSegment(ds, w0, staging);
                if (exclusive) {
                    pool.data().writeFully(staging.clear(), segPos);
                } else {
                    long vbn = ds.reservation > 0 ? alloc.allocate(true, segmentSize) : alloc.allocate(false, segmentSize);
                    if (ds.reservation > 0) {
                        ds.reservation--;
                    }
                    pool.data().writeFully(staging.clear(), vbn << segmentShift);
                    setEntry(seg, MapEntry.mapped(vbn), ds);
                    if (oldVbn != 0) {
                        alloc.decref(oldVbn);
                    }
                }
            }
            pool.slab().release(ds.slots, 0, ds.slots.length);
            java.util.Arrays.fill(ds.slots, DirtySegment.CLEAN);
            ds.dirtyBlocks = 0;
            ds.baseZero = false;
            alloc.unreserve(ds.reservation);
            ds.reservation = 0;
            ds.dead = true;
            table.remove(seg, ds);
            return true;
        } finally {
            ds.lock.unlock();
        }
    }

    /** Sets a map entry, accounting indirect blocks it created against {@code ds}'s reservation. */
    @GuardedBy("ds.lock")
    private void setEntry(long seg, long word0, DirtySegment ds) {
        mapLock.writeLock().lock();
        try {
            tree.set(seg, word0, (int) epoch, pool.allocator());
            int created = tree.lastCreated();
            int fromReservation = Math.min(created, ds.reservation);
            ds.reservation -= fromReservation;
            pool.allocator().nodesCreated(created, fromReservation);
        } finally {
            mapLock.writeLock().unlock();
        }
    }

    @GuardedBy("ds.lock")
    private void writeRunsInPlace(DirtySegment ds, long segPos, ByteBuffer staging) {
        ByteBuffer slab = pool.slab().memory();
        int b = 0;
        while (b < blocksPerSegment) {
            if (ds.slots[b] == DirtySegment.CLEAN) {
                b++;
                continue;
            }
            int first = b;
            boolean consecutive = ds.slots[b] >= 0;
            while (b < blocksPerSegment && ds.slots[b] != DirtySegment.CLEAN) {
                consecutive &= ds.slots[b] == ds.slots[first] + (b - first);
                b++;
            }
            int len = (b - first) * BLOCK;
            if (consecutive) {
                // the run's blocks lie next to each other in the slab (a whole-segment write): write them from there
                pool.data().writeFully(slab.slice(Slab.offsetOf(ds.slots[first]), len), segPos + (long) first * BLOCK);
                continue;
            }
            staging.clear();
            for (int k = first; k < b; k++) {
                copyBlock(ds.slots[k], slab, staging, (k - first) * BLOCK);
            }
            staging.limit(len);
            pool.data().writeFully(staging, segPos + (long) first * BLOCK);
        }
    }

    private void copyBlock(int slot, ByteBuffer slab, ByteBuffer staging, int at) {
        if (slot >= 0) {
            staging.put(at, slab, Slab.offsetOf(slot), BLOCK);
        } else {
            staging.put(at, pool.zeros(), 0, BLOCK);
        }
    }

    @GuardedBy("ds.lock")
    private void buildSegment(DirtySegment ds, long w0, ByteBuffer staging) {
        staging.clear();
        if (ds.baseZero || MapEntry.isZero(w0) || (MapEntry.isHole(w0) && backing == null)) {
            pool.zero(staging.duplicate(), segmentSize);
        } else if (MapEntry.isMapped(w0)) {
            pool.data().readFully(staging.duplicate(), MapEntry.vbn(w0) << segmentShift);
        } else {
            readMapped(ds.index, 0, staging.duplicate()); // a hole of a clone: the backing chain's content
        }
        ByteBuffer slab = pool.slab().memory();
        for (int b = 0; b < blocksPerSegment; b++) {
            if (ds.slots[b] != DirtySegment.CLEAN) {
                copyBlock(ds.slots[b], slab, staging, b * BLOCK);
            }
        }
    }

    // ---------------------------------------------------------------- metadata changes (under Pool.cpLock)

    void markDeletedAndRelease() {
        opLock.writeLock().lock();
        try {
            deleted = true;
            for (DirtySegment ds : table.values()) {
                ds.lock.lock();
                try {
                    if (!ds.dead) {
                        dropWithoutLocking(ds);
                    }
                } finally {
                    ds.lock.unlock();
                }
            }
            mapLock.writeLock().lock();
            try {
                pool.allocator().nodesReleased(tree.release(pool.allocator()));
            } finally {
                mapLock.writeLock().unlock();
            }
        } finally {
            opLock.writeLock().unlock();
        }
    }

    void grow(long newSize) {
        opLock.writeLock().lock();
        try {
            mapLock.writeLock().lock();
            try {
                int h = MapTree.heightFor(newSize, segmentSize);
                if (tree.root() != null && h > tree.height()) {
                    pool.allocator().addNodesOrThrow(h - tree.height(), segmentSize);
                }
                tree.grow(h);
                catalogSize = newSize; // size follows once the caller's consistency point is durable
            } finally {
                mapLock.writeLock().unlock();
            }
        } finally {
            opLock.writeLock().unlock();
        }
    }

    /** After a grow's consistency point completed: reads and writes may use the new size. */
    void publishSize() {
        size = catalogSize;
    }

    void rename(String newName) {
        this.name = newName;
    }

    /** Bytes of data segments mapped by this vdisk (walks the map). */
    long allocatedBytes() {
        long[] n = {0};
        mapLock.readLock().lock();
        try {
            tree.walk(new MapTree.Visitor() {
                @Override
                public boolean node(dev.vdisk.engine.map.Node node, int level, long first, int crc) {
                    return true;
                }

                @Override
                public void data(long vbn, long segment, dev.vdisk.engine.map.Node parent) {
                    n[0]++;
                }
            });
        } finally {
            mapLock.readLock().unlock();
        }
        return n[0] * segmentSize;
    }

    @Override
    public String toString() {
        return "vdisk " + name + " (id " + id + ", " + size + " bytes)";
    }
}
