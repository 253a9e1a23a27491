package dev.vdisk.engine;

import dev.vdisk.engine.alloc.Allocator;
import dev.vdisk.engine.core.GuardedBy;
import dev.vdisk.engine.format.MapEntry;
import dev.vdisk.engine.map.StoreMap;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One vdisk's changes table: segment index to its {@link DirtySegment}, whose blocks live in the pool's {@link Slab}.
 * Writers and discards fill entries ({@link #lockedEntry}, {@link #applyWithoutLocking}) and queue them on the
 * destager; a destage or a drop ends an entry ({@link #remove}, {@link #dropWithoutLocking}). Entries are created only
 * under their segment's gate held exclusively ({@link SegmentGates}).
 */
final class ChangesTable {
    private static final int BLOCK = Slab.BLOCK;
    private static final int BLOCK_SHIFT = 12;

    private final Vdisk owner;
    private final Slab slab;
    private final Allocator alloc;
    private final PointerHolds holds;
    private final Destager destager;
    private final Zeros zeros;
    private final StoreMap map;
    private final SegmentGates gates;
    private final ChainReader chain;
    private final int blocksPerSegment;
    private final ConcurrentHashMap<Long, DirtySegment> table = new ConcurrentHashMap<>();
    /** Per-thread slab slot scratch, so that writes and discards allocate nothing. */
    private static final ThreadLocal<int[]> SCRATCH = ThreadLocal.withInitial(() -> new int[256]);

    ChangesTable(Vdisk owner, VdiskServices svc, StoreMap map, SegmentGates gates, ChainReader chain) {
        this.owner = owner;
        this.slab = svc.slab();
        this.alloc = svc.alloc();
        this.holds = svc.holds();
        this.destager = svc.destager();
        this.zeros = svc.zeros();
        this.map = map;
        this.gates = gates;
        this.chain = chain;
        this.blocksPerSegment = svc.segmentSize() / BLOCK;
    }

    /** This thread's slot scratch (256 slots: a 1 MiB segment's blocks). */
    static int[] scratchSlots() {
        return SCRATCH.get();
    }

    /** The entry of segment {@code seg}, live or just ended (check {@code dead} under its lock), or null. */
    DirtySegment get(long seg) {
        return table.get(seg);
    }

    boolean contains(long seg) {
        return table.containsKey(seg);
    }

    boolean isEmpty() {
        return table.isEmpty();
    }

    /** The entries now (a live view: entries come and go meanwhile). */
    Collection<DirtySegment> entries() {
        return table.values();
    }

    /** The segments with an entry now (a live view). */
    Set<Long> segments() {
        return table.keySet();
    }

    /**
     * The lowest journal sequence number whose effect an entry still holds, or {@code bound} if lower: a consistency
     * point's replay position may not pass it.
     */
    long oldestSeq(long bound) {
        long replay = bound;
        for (DirtySegment ds : table.values()) {
            ds.lock.lock();
            try {
                if (!ds.dead) {
                    replay = Math.min(replay, ds.minSeq);
                }
            } finally {
                ds.lock.unlock();
            }
        }
        return replay;
    }

    /** Returns the live changes-table entry for {@code seg}, created if needed, with its lock held. */
    DirtySegment lockedEntry(long seg) {
        while (true) {
            DirtySegment ds = table.get(seg);
            if (ds == null) {
                DirtySegment fresh = new DirtySegment(owner, seg, blocksPerSegment);
                ReentrantReadWriteLock.WriteLock gate = gates.exclusive(SegmentGates.of(seg));
                gate.lock(); // an in-place write to seg in flight ends first, and none starts while the entry lives
                try {
                    fresh.lock.lock();
                    ds = table.putIfAbsent(seg, fresh);
                } finally {
                    gate.unlock();
                }
                if (ds == null) {
                    map.lock().readLock().lock();
                    try {
                        // a segment a replayable pointer names is never written in place (PointerHolds)
                        fresh.needsAlloc = !map.tree().exclusivelyMapped(seg, alloc)
                                || holds.holds(MapEntry.vbn(map.tree().lookup(seg)));
                    } catch (RuntimeException e) {
                        dropWithoutLocking(fresh);
                        fresh.lock.unlock();
                        throw e;
                    } finally {
                        map.lock().readLock().unlock();
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

    /** Reserves space to destage {@code ds} if it will need a new segment; false (and {@code ds} dropped if empty) if none. */
    @GuardedBy("ds.lock")
    boolean reserveWithoutLocking(DirtySegment ds) {
        if (!ds.needsAlloc || ds.reservation > 0) {
            return true;
        }
        int need = 1 + map.tree().height();
        if (!alloc.tryReserve(need)) {
            if (ds.isEmptyWithoutLocking()) {
                dropWithoutLocking(ds);
            }
            return false;
        }
        ds.reservation = need;
        return true;
    }

    /** Ends {@code ds} without destaging it: its blocks and reservation go back, and it leaves the table. */
    @GuardedBy("ds.lock")
    void dropWithoutLocking(DirtySegment ds) {
        releaseBlocksWithoutLocking(ds);
        ds.baseZero = false;
        alloc.unreserve(ds.reservation);
        ds.reservation = 0;
        ds.dead = true;
        table.remove(ds.index, ds);
    }

    /** Drops {@code seg}'s entry if it has one (replay of a pointer record whose segment includes it). */
    void dropSegment(long seg) {
        DirtySegment ds = table.get(seg);
        if (ds == null) {
            return;
        }
        ds.lock.lock();
        try {
            if (!ds.dead) {
                dropWithoutLocking(ds);
            }
        } finally {
            ds.lock.unlock();
        }
    }

    /** Drops every entry (the vdisk is being deleted; its writes are never destaged). */
    void dropAll() {
        for (DirtySegment ds : entries()) {
            ds.lock.lock();
            try {
                if (!ds.dead) {
                    dropWithoutLocking(ds);
                }
            } finally {
                ds.lock.unlock();
            }
        }
    }

    /** Returns {@code ds}'s slab blocks and marks all its blocks clean. */
    @GuardedBy("ds.lock")
    void releaseBlocksWithoutLocking(DirtySegment ds) {
        for (int b = 0; b < ds.slots.length; b++) {
            if (ds.slots[b] >= 0) {
                slab.release(ds.slots[b]);
            }
            ds.slots[b] = DirtySegment.CLEAN;
        }
        ds.dirtyBlocks = 0;
    }

    /** A destaged entry leaves the table (it is dead already). */
    @GuardedBy("ds.lock")
    void remove(DirtySegment ds) {
        table.remove(ds.index, ds);
    }

    @GuardedBy("ds.lock")
    void enqueueWithoutLocking(DirtySegment ds) {
        if (!ds.queued) {
            ds.queued = true;
            destager.enqueue(ds);
        }
    }

    /** Copies {@code src}'s remaining bytes into the entry's blocks, merging partial blocks with the current content. */
    @GuardedBy("ds.lock")
    void applyWithoutLocking(DirtySegment ds, int inSeg, ByteBuffer src, int[] slots) {
        ByteBuffer memory = slab.memory();
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
            memory.put(Slab.offsetOf(slot) + bo, src, p, n);
            p += n;
            off += n;
        }
    }

    /** Fills slab block {@code fresh} with block {@code b}'s current content (before a partial overwrite). */
    @GuardedBy("ds.lock")
    void fillBaseWithoutLocking(DirtySegment ds, int b, int oldSlot, int fresh) {
        ByteBuffer block = slab.memory().slice(Slab.offsetOf(fresh), BLOCK);
        if (oldSlot == DirtySegment.ZEROED || ds.baseZero) {
            zeros.fill(block, BLOCK);
        } else {
            chain.read(map, ds.index, b * BLOCK, block);
        }
    }
}
