package dev.vdisk.engine;

import dev.vdisk.engine.error.ShrinkNotSupportedException;
import dev.vdisk.engine.format.CatalogEntry;
import dev.vdisk.engine.format.Kind;
import dev.vdisk.engine.format.MapEntry;
import dev.vdisk.engine.map.MapTree;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pool's vdisks ({@link Pool#vdisks()}): create, delete (also of snapshots), resize, the listing and the handles for
 * I/O. Each change holds {@code Pool.cpLock} and is durable with the consistency point it takes before returning.
 */
public final class Vdisks {
    private static final Logger LOG = LoggerFactory.getLogger(Vdisks.class);

    private final Path dir;
    private final VdiskServices services;
    private final ReentrantLock cpLock;
    private final ReentrantLock destageLock;
    private final VdiskCatalog catalog;
    private final Snapshots snapshots;
    private final PointTriggers triggers;
    /** Tests: runs in {@link #delete} after the in-memory change, just before the point that makes it durable. */
    volatile Runnable beforeDeletePoint = () -> {};

    Vdisks(
            Path dir,
            VdiskServices services,
            ReentrantLock cpLock,
            ReentrantLock destageLock,
            VdiskCatalog catalog,
            Snapshots snapshots,
            PointTriggers triggers) {
        this.dir = dir;
        this.services = services;
        this.cpLock = cpLock;
        this.destageLock = destageLock;
        this.catalog = catalog;
        this.snapshots = snapshots;
        this.triggers = triggers;
    }

    /** Creates a thin vdisk of {@code sizeBytes} (a multiple of 4 KiB); allocates nothing. */
    public VdiskInfo create(String name, long sizeBytes) {
        VdiskCatalog.checkName(name);
        VdiskCatalog.checkSize(sizeBytes);
        int segmentSize = services.segmentSize();
        cpLock.lock();
        try {
            services.pool().checkOpen();
            catalog.checkNameFree(name);
            long id = catalog.takeId();
            CatalogEntry e = new CatalogEntry(
                    id,
                    name,
                    Kind.VDISK,
                    false,
                    sizeBytes,
                    MapEntry.HOLE,
                    0,
                    MapTree.heightFor(sizeBytes, segmentSize),
                    0,
                    0,
                    0,
                    System.currentTimeMillis(),
                    Map.of());
            Vdisk v = new Vdisk(services, e, MapTree.empty(services.maps(), e.height()));
            catalog.add(v);
            try {
                triggers.takeLocked("create " + name);
            } finally {
                catalog.name(v); // found (and written) only once durable: replay drops records of unknown ids
            }
            LOG.info("created vdisk {} (id {}, {} bytes) in pool {}", name, id, sizeBytes, dir);
            return v.info();
        } finally {
            cpLock.unlock();
        }
    }

    /** Returns the handle of vdisk {@code name}. */
    public Vdisk get(String name) {
        services.pool().checkOpen();
        return catalog.vdisk(name);
    }

    /**
     * Deletes vdisk or snapshot {@code name}; space becomes reusable after two consistency points (this call takes
     * one). A vdisk's snapshots stay (they hold their trees by reference counts). A snapshot that clones still read
     * through becomes hidden: gone from listings, not clonable, its name reusable; its tree is freed when the last
     * dependent goes (cascading up the backing chain).
     */
    public void delete(String name) {
        cpLock.lock();
        try {
            services.pool().checkOpen();
            Vdisk v = catalog.vdiskOrNull(name);
            if (v == null) {
                v = catalog.snapshot(name);
            }
            // destageLock until the point is durable: the release makes segments the durable pool still shares
            // with v exclusive in memory, and a destage in between would write over them in place
            destageLock.lock();
            try {
                if (v.kind() == Kind.SNAPSHOT) {
                    catalog.unnameSnapshot(name);
                    if (!SnapshotChain.dependents(catalog.all(), v).isEmpty()) {
                        v.hide();
                        LOG.info("snapshot {} (id {}) hidden: clones still read through it", name, v.id());
                    } else {
                        snapshots.releaseLocked(v);
                    }
                } else {
                    catalog.unnameVdisk(name);
                    snapshots.releaseLocked(v);
                }
                beforeDeletePoint.run();
                triggers.takeLocked("delete " + name);
            } finally {
                destageLock.unlock();
            }
            LOG.info("deleted {} (id {}) from pool {}", name, v.id(), dir);
        } finally {
            cpLock.unlock();
        }
    }

    /** Grows vdisk {@code name} to {@code newSize}; instant, allocates at most a few indirect blocks. */
    public VdiskInfo resize(String name, long newSize) {
        VdiskCatalog.checkSize(newSize);
        cpLock.lock();
        try {
            services.pool().checkOpen();
            Vdisk v = catalog.vdisk(name);
            long old = v.size();
            if (newSize < old) {
                throw new ShrinkNotSupportedException("vdisk " + name + " is " + old + " bytes; shrinking to " + newSize
                        + " is not supported (vdisks only grow): copy the data to a smaller vdisk instead");
            }
            if (newSize > old) {
                destageLock.lock();
                try {
                    v.growAndDelete().grow(newSize);
                } finally {
                    destageLock.unlock();
                }
                triggers.takeLocked("resize " + name);
                v.growAndDelete()
                        .publishSize(); // only now: a write beyond the old size is durable only with the new size
                LOG.info("resized vdisk {} from {} to {} bytes", name, old, newSize);
            }
            return v.info();
        } finally {
            cpLock.unlock();
        }
    }

    /** Vdisks (not snapshots; see {@link Snapshots#list()}), by name. */
    public List<VdiskInfo> list() {
        services.pool().checkOpen();
        return catalog.vdisks().stream()
                .sorted(Comparator.comparing(Vdisk::name))
                .map(Vdisk::info)
                .toList();
    }

    /** Names of the vdisks (the writable catalog entries, which journal records name) by id, for reports. */
    public Map<Long, String> namesById() {
        return catalog.vdiskNamesById();
    }
}
