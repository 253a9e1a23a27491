package dev.vdisk.engine.map;

import dev.vdisk.engine.core.GuardedBy;
import dev.vdisk.engine.format.MapEntry;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One store's map (a vdisk's or a snapshot's) with the lock that guards it, its size, and the map whose data shows
 * through its holes (the backing snapshot's, for clones and their snapshots). A chain is read one map at a time, each
 * under its own read lock, from the clone down: a clone's map lock comes before its backing's.
 */
public final class StoreMap {
    /**
     * Guards {@link #tree}: read for lookups (held across a data read so that a looked-up segment stays valid),
     * written by the destager, splits and consistency points.
     */
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

    @GuardedBy("lock")
    private final MapTree tree;

    private final int segmentSize;
    private final int segmentShift;
    /** The backing store's map, null if none (cleared by a split's release, under this map's write lock). */
    private volatile StoreMap backing;
    /** The size in bytes reads and writes may use: a grow publishes it once its consistency point is durable. */
    private volatile long size;

    public StoreMap(MapTree tree, long size, int segmentSize) {
        this.tree = tree;
        this.size = size;
        this.segmentSize = segmentSize;
        this.segmentShift = Integer.numberOfTrailingZeros(segmentSize);
    }

    public ReentrantReadWriteLock lock() {
        return lock;
    }

    /** The tree; use it under {@link #lock()}. */
    public MapTree tree() {
        return tree;
    }

    public StoreMap backing() {
        return backing;
    }

    public void setBacking(StoreMap b) {
        backing = b;
    }

    public long size() {
        return size;
    }

    public void setSize(long bytes) {
        size = bytes;
    }

    /** Segments of the store: its size rounded up. */
    public long segments() {
        return (size + segmentSize - 1) >>> segmentShift;
    }

    /** Data segments the map points at (walks it under the read lock). */
    public long dataSegments() {
        long[] n = {0};
        lock.readLock().lock();
        try {
            tree.walk(new MapTree.Visitor() {
                @Override
                public boolean node(Node node, int level, long first, int crc) {
                    return true;
                }

                @Override
                public void data(long vbn, long segment, Node parent) {
                    n[0]++;
                }
            });
        } finally {
            lock.readLock().unlock();
        }
        return n[0];
    }

    /** The entry's first word for segment {@code seg}, under the read lock. */
    public long lookup(long seg) {
        lock.readLock().lock();
        try {
            return tree.lookup(seg);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** True if segment {@code seg} reads data (not zeros) from the map: mapped here or along the backing chain. */
    public boolean inUse(long seg) {
        if (seg < 0 || (seg << segmentShift) >= size) {
            return false;
        }
        long w0 = lookup(seg);
        if (MapEntry.isMapped(w0)) {
            return true;
        }
        StoreMap b = backing;
        return MapEntry.isHole(w0) && b != null && b.inUse(seg);
    }

    /** The smallest segment {@code >= from} mapped in this map or along its backing chain (a superset of in use), or -1. */
    public long nextCandidate(long from) {
        return nextMappedInChain(this, from, segments());
    }

    /**
     * The smallest segment in {@code [from, limit)} mapped in {@code first} or any map along its backing chain, or -1
     * ({@code first} may be null: an empty chain). Each map is read under its own read lock, one at a time.
     */
    public static long nextMappedInChain(StoreMap first, long from, long limit) {
        long best = -1;
        for (StoreMap x = first; x != null; x = x.backing) {
            long n;
            x.lock.readLock().lock();
            try {
                n = x.tree.nextMapped(from);
            } finally {
                x.lock.readLock().unlock();
            }
            if (n >= 0 && n < limit && (best < 0 || n < best)) {
                best = n;
            }
        }
        return best;
    }
}
