package dev.vdisk.engine;

import dev.vdisk.engine.error.InvalidRangeException;
import dev.vdisk.engine.error.VdiskNotFoundException;
import java.util.ArrayDeque;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A resumable stream of {@link Extent}s over one snapshot ({@code allocated}) or between two snapshots of one vdisk
 * ({@code delta}), computed a page at a time as it is consumed (a gRPC server stream can send each page). Each page
 * is computed under {@code Pool.cpLock}, so snapshot deletions and consistency points interleave between pages; a
 * snapshot of the scan deleted meanwhile ends it with {@link VdiskNotFoundException}.
 *
 * <p>Delta, per segment ascending from the start offset: skip it unless it is in use in M (mapped
 * in M or along M's backing chain) or in L; if in use in L only, emit DEALLOCATED; else for I = L..M-1 (snapshots of
 * the vdisk in sequence order, hidden ones included; deleted ones merged their change index into their predecessor)
 * emit CHANGED at the first I whose change index has the segment or in which it is not in use; a segment in use in
 * every I and in no change index is the same entry in L and M (no map change reached it), so it is unchanged. The
 * segments examined are only those mapped somewhere in M's or L's chain (missing subtrees are skipped), so the scan
 * costs the data present, not the vdisk size. Extents are coalesced and clipped to the start offset and M's size.
 *
 * <p>Not thread-safe (one consumer).
 */
public final class ExtentScan implements Iterator<Extent> {
    /** Segments examined per page (bounds the time cpLock is held). */
    private static final int PAGE_SEGMENTS = 4096;

    /** The pool's cpLock: each page holds it (no deletion meanwhile). */
    private final ReentrantLock cpLock;

    private final PoolHooks pool;
    private final VdiskCatalog catalog;
    private final Vdisk base;
    private final Vdisk target;
    private final List<Vdisk> between;
    private final int shift;
    private final long endSeg;
    private final long startOffset;
    private final ArrayDeque<Extent> ready = new ArrayDeque<>();
    private final Set<Long> touched = new HashSet<>();
    private long nextSeg;
    private Extent pending;
    private long returnedEnd;

    ExtentScan(
            ReentrantLock cpLock,
            PoolHooks pool,
            VdiskCatalog catalog,
            int segmentSize,
            Vdisk base,
            Vdisk target,
            List<Vdisk> between,
            long startOffset) {
        if (startOffset < 0) {
            throw new InvalidRangeException("start offset " + startOffset + " is negative");
        }
        this.cpLock = cpLock;
        this.pool = pool;
        this.catalog = catalog;
        this.base = base;
        this.target = target;
        this.between = List.copyOf(between);
        this.shift = Integer.numberOfTrailingZeros(segmentSize);
        long size = target.sizeWithoutCheck();
        this.endSeg = (size + segmentSize - 1) >>> shift;
        this.startOffset = Math.min(startOffset, size);
        this.nextSeg = this.startOffset >>> shift;
        this.returnedEnd = this.startOffset;
    }

    @Override
    public boolean hasNext() {
        while (ready.isEmpty() && (nextSeg < endSeg || pending != null)) {
            page();
        }
        return !ready.isEmpty();
    }

    @Override
    public Extent next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        Extent e = ready.poll();
        returnedEnd = e.end();
        return e;
    }

    /** Byte offset to pass as the start offset to resume after the extents returned so far. */
    public long cursor() {
        return returnedEnd;
    }

    /** Number of distinct change indexes consulted so far (at most M - L: the delta's cost bound). */
    public int changeIndexesTouched() {
        return touched.size();
    }

    /** Ids of the snapshots whose change indexes were consulted (tests). */
    Set<Long> touchedSnapshotIds() {
        return Set.copyOf(touched);
    }

    private void page() {
        cpLock.lock();
        try {
            pool.checkOpen();
            for (Vdisk v : base == null ? List.of(target) : List.of(base, target)) {
                if (!catalog.isLive(v) || v.hidden()) {
                    throw new VdiskNotFoundException("snapshot " + v.name() + " was deleted during the scan");
                }
            }
            int examined = 0;
            while (nextSeg < endSeg && examined < PAGE_SEGMENTS) {
                long c = target.map().nextCandidate(nextSeg);
                if (base != null) {
                    long b = base.map().nextCandidate(nextSeg);
                    if (b >= 0 && (c < 0 || b < c)) {
                        c = b;
                    }
                }
                if (c < 0 || c >= endSeg) {
                    nextSeg = endSeg;
                    break;
                }
                examined++;
                Extent.Kind k = classify(c);
                if (k != null) {
                    emit(c, k);
                }
                nextSeg = c + 1;
            }
            if (nextSeg >= endSeg && pending != null) {
                ready.add(pending);
                pending = null;
            }
        } finally {
            cpLock.unlock();
        }
    }

    private Extent.Kind classify(long seg) {
        boolean inM = target.map().inUse(seg);
        if (base == null) {
            return inM ? Extent.Kind.ALLOCATED : null;
        }
        if (!inM) {
            return base.map().inUse(seg) ? Extent.Kind.DEALLOCATED : null;
        }
        for (Vdisk i : between) {
            touched.add(i.id());
            if (i.changes().has(seg) || !i.map().inUse(seg)) {
                return Extent.Kind.CHANGED;
            }
        }
        return null;
    }

    private void emit(long seg, Extent.Kind k) {
        long from = Math.max(seg << shift, startOffset);
        long to = Math.min((seg + 1) << shift, target.sizeWithoutCheck());
        if (pending != null && pending.kind() == k && pending.end() == from) {
            pending = new Extent(pending.offset(), to - pending.offset(), k);
            return;
        }
        if (pending != null) {
            ready.add(pending);
        }
        pending = new Extent(from, to - from, k);
    }
}
