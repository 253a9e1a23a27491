package dev.vdisk.engine;

import dev.vdisk.engine.map.MapTree;
import dev.vdisk.engine.map.StoreMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * One {@link Vdisk}'s map changes made under Pool.cpLock with its operation lock held exclusively, so that no write or
 * discard is in flight: grow and delete. Owns the size the catalog records and the deleted flag.
 *
 * <p>Lock order as in {@link Vdisk}: opLock &gt; {@code map.lock()} &gt; allocator.
 */
final class VdiskGrowAndDelete {
    private final VdiskServices svc;
    private final StoreMap map;
    private final ChangesTable table;
    private final ReentrantReadWriteLock opLock;
    private final int segmentSize;
    /**
     * The size the catalog records: ahead of the map's size from a grow until its consistency point is durable
     * ({@link #publishSize}), so that no write beyond the old size is accepted (and flushed) while a crash would still
     * recover the old size, whose replay drops records beyond it.
     */
    private volatile long catalogSize;

    private volatile boolean deleted;

    VdiskGrowAndDelete(
            VdiskServices svc,
            StoreMap map,
            ChangesTable table,
            ReentrantReadWriteLock opLock,
            int segmentSize,
            long catalogSize) {
        this.svc = svc;
        this.map = map;
        this.table = table;
        this.opLock = opLock;
        this.segmentSize = segmentSize;
        this.catalogSize = catalogSize;
    }

    long catalogSize() {
        return catalogSize;
    }

    boolean isDeleted() {
        return deleted;
    }

    void markDeletedAndRelease() {
        opLock.writeLock().lock();
        try {
            deleted = true;
            table.dropAll();
            map.lock().writeLock().lock();
            try {
                svc.alloc().nodesReleased(map.tree().release(svc.alloc()));
            } finally {
                map.lock().writeLock().unlock();
            }
        } finally {
            opLock.writeLock().unlock();
        }
    }

    void grow(long newSize) {
        opLock.writeLock().lock();
        try {
            map.lock().writeLock().lock();
            try {
                int h = MapTree.heightFor(newSize, segmentSize);
                if (map.tree().root() != null && h > map.tree().height()) {
                    svc.alloc().addNodesOrThrow(h - map.tree().height(), segmentSize);
                }
                map.tree().grow(h);
                catalogSize = newSize; // size follows once the caller's consistency point is durable
            } finally {
                map.lock().writeLock().unlock();
            }
        } finally {
            opLock.writeLock().unlock();
        }
    }

    /** After a grow's consistency point completed: reads and writes may use the new size. */
    void publishSize() {
        map.setSize(catalogSize);
    }
}
