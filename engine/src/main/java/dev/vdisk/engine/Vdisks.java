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
 * A pool's vdisk operations that change its catalog: create, delete (also of snapshots), resize; and the listing.
 * Each change holds {@code Pool.cpLock} and is durable with the consistency point it takes before returning.
 */
final class Vdisks {
    private static final Logger LOG = LoggerFactory.getLogger(Vdisks.class);

    private final Path dir;
    private final VdiskServices services;
    private final ReentrantLock cpLock;
    private final ReentrantLock destageLock;
    private final VdiskCatalog catalog;
    private final Snapshots snapshots;
    private final PointTriggers triggers;

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

    VdiskInfo create(String name, long sizeBytes) {
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

    Vdisk vdisk(String name) {
        services.pool().checkOpen();
        return catalog.vdisk(name);
    }

    /** Deletes vdisk or snapshot {@code name}; {@code beforePoint} runs just before the point (tests). */
    void delete(String name, Runnable beforePoint) {
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
                beforePoint.run();
                triggers.takeLocked("delete " + name);
            } finally {
                destageLock.unlock();
            }
            LOG.info("deleted {} (id {}) from pool {}", name, v.id(), dir);
        } finally {
            cpLock.unlock();
        }
    }

    VdiskInfo resize(String name, long newSize) {
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
                    v.grow(newSize);
                } finally {
                    destageLock.unlock();
                }
                triggers.takeLocked("resize " + name);
                v.publishSize(); // only now: a write beyond the old size is durable only with the new size
                LOG.info("resized vdisk {} from {} to {} bytes", name, old, newSize);
            }
            return v.info();
        } finally {
            cpLock.unlock();
        }
    }

    /** Vdisks (not snapshots), by name. */
    List<VdiskInfo> list() {
        services.pool().checkOpen();
        return catalog.vdisks().stream()
                .sorted(Comparator.comparing(Vdisk::name))
                .map(Vdisk::info)
                .toList();
    }
}
